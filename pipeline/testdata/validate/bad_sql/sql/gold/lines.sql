-- the orders of a day
SELECT order_id,
 FROM FROM gold.good
