select * from gold.bad join gold.lines using (x)
