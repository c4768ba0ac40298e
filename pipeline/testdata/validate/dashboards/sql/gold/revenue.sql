-- Revenue per day.
select current_date as date, 1.0 as revenue
