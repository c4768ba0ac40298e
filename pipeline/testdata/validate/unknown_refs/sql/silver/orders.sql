select id, amount from bronze.orders
