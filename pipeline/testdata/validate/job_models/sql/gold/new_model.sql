select count(*) as n from silver.orders
