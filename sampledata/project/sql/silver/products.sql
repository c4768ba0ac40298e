-- silver.products: the catalog, one row per product, latest ingested row wins.
WITH typed AS (
    SELECT
        TRY_CAST(product_id AS BIGINT)                  AS product_id,
        trim(CAST(sku AS VARCHAR))                      AS sku,
        trim(CAST(name AS VARCHAR))                     AS name,
        lower(trim(CAST(category AS VARCHAR)))          AS category,
        trim(CAST(brand AS VARCHAR))                    AS brand,
        TRY_CAST(unit_price AS DOUBLE)                  AS unit_price,
        TRY_CAST(launched_date AS DATE)                 AS launched_date,
        _source_file,
        _ingested_at
    FROM STREAM(bronze.products)  -- only the files not processed yet (all on a full refresh)
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY product_id
            ORDER BY _ingested_at DESC, _source_file DESC
        ) AS _rank
    FROM typed
)
SELECT * EXCLUDE (_rank)
FROM ranked
WHERE _rank = 1
