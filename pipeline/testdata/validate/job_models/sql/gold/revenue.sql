select sum(amount) as revenue from silver.orders
