-- silver.order_totals: one row per order with its lines summed: lines, items,
-- gross (before the order's discount) and net amounts; NULL sums for an order
-- with no lines. Gold reads it instead of joining every order line again, and
-- a daily run rebuilds only its last days (order_date).
SELECT
    o.order_id,
    o.customer_id,
    o.order_date,
    o.status,
    o.discount_pct,
    count(i.order_item_id)                          AS lines,
    -- BIGINT, not sum()'s HUGEINT: DuckDB unpacks a bit-packed HUGEINT
    -- column slowly (0.3 CPU-s per scan of 700k rows, each run's health)
    sum(i.quantity)::BIGINT                         AS items,
    -- money is summed as DECIMAL: the cents do not depend on the order rows are read in
    sum((i.quantity * i.unit_price)::DECIMAL(18, 6)) AS gross,
    sum((i.quantity * i.unit_price * (1 - o.discount_pct / 100))::DECIMAL(18, 6)) AS net
FROM silver.orders AS o
LEFT JOIN silver.order_items AS i ON i.order_id = o.order_id
GROUP BY o.order_id, o.customer_id, o.order_date, o.status, o.discount_pct
