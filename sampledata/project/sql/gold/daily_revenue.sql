-- gold.daily_revenue: net revenue per order day, product category and
-- customer region. Only completed orders count; revenue is after the order's
-- discount, shipping excluded. Days without a row had no sales (or no file).
SELECT
    o.order_date                                    AS date,
    coalesce(p.category, 'unknown')                 AS category,
    coalesce(c.region, 'unknown')                   AS region,
    count(DISTINCT o.order_id)                      AS orders,
    sum(i.quantity)::BIGINT                         AS items,
    -- money is summed as DECIMAL: the cents do not depend on the order rows are read in
    round(sum((i.quantity * i.unit_price * (1 - o.discount_pct / 100))::DECIMAL(18, 6)), 2)::DOUBLE AS revenue
FROM silver.orders AS o
JOIN silver.order_items AS i ON i.order_id = o.order_id
LEFT JOIN silver.products AS p ON p.product_id = i.product_id
LEFT JOIN silver.customers AS c ON c.customer_id = o.customer_id
WHERE o.status = 'completed'
GROUP BY ALL
