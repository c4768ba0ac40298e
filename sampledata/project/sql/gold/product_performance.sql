-- gold.product_performance: sales per product over all completed orders;
-- products never sold have zero units and NULL first/last sold dates.
-- Summed from gold.product_daily_sales (an order has one day, so its
-- per-day order counts add up).
WITH sold AS (
    SELECT
        product_id,
        sum(units)                                  AS units,
        sum(net)                                    AS net,
        sum(gross)                                  AS gross,
        sum(orders)                                 AS orders,
        min(order_date)                             AS first_sold,
        max(order_date)                             AS last_sold
    FROM gold.product_daily_sales
    GROUP BY product_id
)
SELECT
    p.product_id,
    p.name,
    p.category,
    p.brand,
    p.unit_price                                    AS list_price,
    coalesce(s.units, 0)                            AS units,
    coalesce(round(s.net, 2)::DOUBLE, 0)            AS revenue,
    coalesce(s.orders, 0)::BIGINT                   AS orders,
    round(s.gross::DOUBLE / nullif(s.units, 0), 2)  AS avg_price,
    s.first_sold,
    s.last_sold
FROM silver.products AS p
LEFT JOIN sold AS s ON s.product_id = p.product_id
