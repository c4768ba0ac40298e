-- silver.orders: one row per order. Exact duplicate rows and repeated keys
-- collapse to the latest ingested row. Late-arriving orders keep their real
-- order_ts, so order_date is the day the order was placed, not the batch day.
-- Rows with a NULL customer_id stay here: the quality rule in lakebench.yml
-- moves them to silver.orders_quarantine.
WITH typed AS NOT MATERIALIZED (
    SELECT
        TRY_CAST(order_id AS BIGINT)                    AS order_id,
        TRY_CAST(customer_id AS BIGINT)                 AS customer_id,
        TRY_CAST(order_ts AS TIMESTAMP)                 AS order_ts,
        CAST(TRY_CAST(order_ts AS TIMESTAMP) AS DATE)   AS order_date,
        lower(trim(CAST(channel AS VARCHAR)))           AS channel,
        lower(trim(CAST(payment_method AS VARCHAR)))    AS payment_method,
        coalesce(TRY_CAST(discount_pct AS DOUBLE), 0)   AS discount_pct,
        lower(trim(CAST(status AS VARCHAR)))            AS status,
        coalesce(TRY_CAST(shipping_fee AS DOUBLE), 0)   AS shipping_fee,
        _source_file,
        _ingested_at
    FROM STREAM(bronze.orders)  -- only the files not processed yet (all on a full refresh)
),
-- Most keys arrive once: only the keys that repeat go through the window
-- that keeps the latest ingested row (a window over every row costs about
-- three times as much). NULL keys count as one key, as in the window.
-- typed is NOT MATERIALIZED: each branch reads bronze again, which costs
-- less than DuckDB keeping every typed row (a CTE read thrice) in memory.
repeated AS (
    SELECT order_id FROM typed GROUP BY order_id HAVING count(*) > 1
),
latest AS (
    SELECT t.* FROM typed AS t
    ANTI JOIN repeated AS r ON t.order_id IS NOT DISTINCT FROM r.order_id
    UNION ALL
    SELECT * FROM (
        SELECT t.* FROM typed AS t
        SEMI JOIN repeated AS r ON t.order_id IS NOT DISTINCT FROM r.order_id
    )
    QUALIFY row_number() OVER (
        PARTITION BY order_id
        ORDER BY _ingested_at DESC, _source_file DESC
    ) = 1
)
SELECT *
FROM latest
