-- gold.customer_features: the churn model's training table, one row per
-- customer who ordered before the cutoff.
--   cutoff  = last order date - ${var.churn_days} days (bundle variable churn_days)
--   churned = 1 when the customer placed no order in the ${var.churn_days} days
--             from the cutoff on, else 0
-- Every feature reads only rows dated strictly before the cutoff, so nothing
-- from the label window leaks in.
-- silver.order_totals is read where each part needs it (not through one
-- shared CTE, which DuckDB would materialize whole), so the date bounds
-- reach its scan.
WITH bounds AS (
    SELECT max(order_date) - ${var.churn_days} AS cutoff
    FROM silver.order_totals
),
history AS (
    SELECT
        t.customer_id,
        max(t.order_date)                           AS last_order_date,
        count(*)                                    AS frequency,
        -- sum() of DECIMAL(18, 6) is a DECIMAL(38, 6), which DuckDB rounds
        -- slowly (a HUGEINT per customer): cast back to 18 digits first
        sum((coalesce(t.gross, 0) * (1 - t.discount_pct / 100))::DECIMAL(18, 6))::DECIMAL(18, 6) AS monetary,
        avg(t.discount_pct::DECIMAL(18, 6))          AS avg_discount,
        count(*) FILTER (WHERE t.order_date >= b.cutoff - 14) AS orders_last_14d
    FROM silver.order_totals AS t, bounds AS b
    WHERE t.customer_id IS NOT NULL AND t.order_date < b.cutoff
    GROUP BY t.customer_id
),
future AS (
    SELECT DISTINCT t.customer_id
    FROM silver.order_totals AS t, bounds AS b
    WHERE t.customer_id IS NOT NULL AND t.order_date >= b.cutoff AND t.order_date < b.cutoff + ${var.churn_days}
),
support AS (
    SELECT
        k.customer_id,
        count(*)                                    AS tickets,
        avg(k.satisfaction)                         AS avg_satisfaction
    FROM silver.tickets AS k, bounds AS b
    WHERE k.opened_ts < b.cutoff
    GROUP BY k.customer_id
),
web AS (
    SELECT w.customer_id, sum(w.web_events)::BIGINT AS web_events
    FROM gold.customer_web_daily AS w, bounds AS b
    WHERE w.day < b.cutoff
    GROUP BY w.customer_id
)
SELECT
    c.customer_id,
    c.region,
    c.segment,
    b.cutoff                                        AS cutoff_date,
    b.cutoff - c.signup_date                        AS tenure_days,
    b.cutoff - h.last_order_date                    AS recency_days,
    h.frequency,
    round(h.monetary, 2)::DOUBLE                    AS monetary,
    round(h.avg_discount, 2)::DOUBLE                AS avg_discount,
    h.orders_last_14d,
    coalesce(s.tickets, 0)                          AS tickets,
    round(s.avg_satisfaction, 2)                    AS avg_satisfaction,
    coalesce(w.web_events, 0)                       AS web_events,
    CASE WHEN f.customer_id IS NULL THEN 1 ELSE 0 END AS churned
FROM history AS h
JOIN silver.customers AS c ON c.customer_id = h.customer_id
CROSS JOIN bounds AS b
LEFT JOIN support AS s ON s.customer_id = h.customer_id
LEFT JOIN web AS w ON w.customer_id = h.customer_id
LEFT JOIN future AS f ON f.customer_id = h.customer_id
