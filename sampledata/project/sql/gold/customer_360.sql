-- gold.customer_360: one row per customer with lifetime activity across
-- sales, support and web, for the analyst's customer lookups.
-- A daily run rebuilds only the customers its new rows touch (the STREAM()
-- inputs: new or changed customer rows, orders, order lines, tickets and
-- web events) and merges them by customer_id. A full build, where
-- is_incremental() is false, builds every customer and never computes the
-- touched keys (DuckDB drops a branch whose WHERE is false).
WITH touched AS (
    SELECT customer_id FROM STREAM(silver.customers)
    UNION
    SELECT customer_id FROM STREAM(silver.orders)
    UNION
    SELECT o.customer_id
    FROM STREAM(silver.order_items) AS i
    JOIN silver.orders AS o ON o.order_id = i.order_id
    UNION
    SELECT customer_id FROM STREAM(silver.tickets)
    UNION
    SELECT customer_id FROM STREAM(silver.events)
),
customers AS (
    SELECT * FROM silver.customers WHERE NOT is_incremental()
    UNION ALL
    SELECT * FROM silver.customers
    WHERE is_incremental() AND customer_id IN (SELECT customer_id FROM touched)
),
orders AS (
    -- silver.order_totals has one row per order: count(order_id) counts orders
    SELECT
        customer_id,
        count(order_id)                             AS orders,
        -- sum() of a DECIMAL is 38 digits wide, which DuckDB rounds
        -- slowly: a customer's revenue fits 18
        round(sum(net)::DECIMAL(18, 6), 2)::DOUBLE  AS revenue,
        min(order_date)                             AS first_order_date,
        max(order_date)                             AS last_order_date
    FROM silver.order_totals
    WHERE status = 'completed'
      AND customer_id IN (SELECT customer_id FROM customers)
    GROUP BY customer_id
),
support AS (
    SELECT customer_id, count(*) AS tickets, round(avg(satisfaction), 2) AS avg_satisfaction
    FROM silver.tickets
    WHERE customer_id IN (SELECT customer_id FROM customers)
    GROUP BY customer_id
),
web AS (
    SELECT customer_id, sum(web_events)::BIGINT AS web_events, max(last_seen) AS last_seen
    FROM gold.customer_web_daily
    WHERE customer_id IN (SELECT customer_id FROM customers)
    GROUP BY customer_id
)
SELECT
    c.customer_id,
    c.name,
    c.email,
    c.region,
    c.segment,
    c.signup_date,
    coalesce(o.orders, 0)                           AS orders,
    coalesce(o.revenue, 0)                          AS revenue,
    o.first_order_date,
    o.last_order_date,
    coalesce(s.tickets, 0)                          AS tickets,
    s.avg_satisfaction,
    coalesce(w.web_events, 0)                       AS web_events,
    w.last_seen
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.customer_id
LEFT JOIN support AS s ON s.customer_id = c.customer_id
LEFT JOIN web AS w ON w.customer_id = c.customer_id
