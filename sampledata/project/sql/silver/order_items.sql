-- silver.order_items: one row per order line, with its gross amount.
-- Negative quantities stay here: the positive_quantity rule in lakebench.yml
-- moves them to silver.order_items_quarantine.
WITH typed AS NOT MATERIALIZED (
    SELECT
        TRY_CAST(order_item_id AS BIGINT)               AS order_item_id,
        TRY_CAST(order_id AS BIGINT)                    AS order_id,
        TRY_CAST(product_id AS BIGINT)                  AS product_id,
        TRY_CAST(quantity AS INTEGER)                   AS quantity,
        TRY_CAST(unit_price AS DOUBLE)                  AS unit_price,
        _source_file,
        _ingested_at
    FROM STREAM(bronze.order_items)  -- only the files not processed yet (all on a full refresh)
),
-- Most keys arrive once: only the keys that repeat go through the window
-- that keeps the latest ingested row (a window over every row costs about
-- three times as much). NULL keys count as one key, as in the window.
-- typed is NOT MATERIALIZED: each branch reads bronze again, which costs
-- less than DuckDB keeping every typed row (a CTE read thrice) in memory.
repeated AS (
    SELECT order_item_id FROM typed GROUP BY order_item_id HAVING count(*) > 1
),
latest AS (
    SELECT t.* FROM typed AS t
    ANTI JOIN repeated AS r ON t.order_item_id IS NOT DISTINCT FROM r.order_item_id
    UNION ALL
    SELECT * FROM (
        SELECT t.* FROM typed AS t
        SEMI JOIN repeated AS r ON t.order_item_id IS NOT DISTINCT FROM r.order_item_id
    )
    QUALIFY row_number() OVER (
        PARTITION BY order_item_id
        ORDER BY _ingested_at DESC, _source_file DESC
    ) = 1
)
SELECT *,
    round(quantity * unit_price, 2) AS line_amount
FROM latest
