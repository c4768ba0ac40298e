-- gold.product_daily_sales: sales per order day and product over completed
-- orders: units, net and gross amounts, and how many orders bought it.
-- gold.product_performance sums it; a daily run rebuilds only its last days.
SELECT
    o.order_date,
    i.product_id,
    sum(i.quantity)::BIGINT                         AS units,
    -- money is summed as DECIMAL: the cents do not depend on the order rows are read in
    sum((i.quantity * i.unit_price * (1 - o.discount_pct / 100))::DECIMAL(18, 6)) AS net,
    sum((i.quantity * i.unit_price)::DECIMAL(18, 6)) AS gross,
    count(DISTINCT i.order_id)                      AS orders
FROM silver.order_items AS i
JOIN silver.orders AS o ON o.order_id = i.order_id
WHERE o.status = 'completed'
GROUP BY o.order_date, i.product_id
