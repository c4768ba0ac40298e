-- silver.order_items: one row per order line, with its gross amount.
-- Negative quantities stay here: the positive_quantity rule in lakebench.yml
-- moves them to silver.order_items_quarantine.
WITH typed AS (
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
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY order_item_id
            ORDER BY _ingested_at DESC, _source_file DESC
        ) AS _rank
    FROM typed
)
SELECT
    * EXCLUDE (_rank),
    round(quantity * unit_price, 2) AS line_amount
FROM ranked
WHERE _rank = 1
