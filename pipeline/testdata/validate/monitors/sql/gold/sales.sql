-- Sales.
select 1 as price, current_date as day
