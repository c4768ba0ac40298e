-- gold.product_performance: sales per product over all completed orders;
-- products never sold have zero units and NULL first/last sold dates.
WITH sold AS (
    SELECT
        i.product_id,
        i.order_id,
        i.quantity,
        i.unit_price,
        i.quantity * i.unit_price * (1 - o.discount_pct / 100) AS net_amount,
        o.order_date
    FROM silver.order_items AS i
    JOIN silver.orders AS o ON o.order_id = i.order_id
    WHERE o.status = 'completed'
)
SELECT
    p.product_id,
    p.name,
    p.category,
    p.brand,
    p.unit_price                                    AS list_price,
    coalesce(sum(s.quantity), 0)                    AS units,
    -- money is summed as DECIMAL: the cents do not depend on the order rows are read in
    coalesce(round(sum(s.net_amount::DECIMAL(18, 6)), 2)::DOUBLE, 0) AS revenue,
    count(DISTINCT s.order_id)                      AS orders,
    round(sum((s.quantity * s.unit_price)::DECIMAL(18, 6))::DOUBLE / nullif(sum(s.quantity), 0), 2) AS avg_price,
    min(s.order_date)                               AS first_sold,
    max(s.order_date)                               AS last_sold
FROM silver.products AS p
LEFT JOIN sold AS s ON s.product_id = p.product_id
GROUP BY p.product_id, p.name, p.category, p.brand, p.unit_price
