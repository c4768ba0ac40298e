-- silver.customers: one row per customer, typed and trimmed. Later files
-- repeat a customer when their email changes: the latest ingested row wins.
-- Bronze types are sniffed per file, so every column is cast defensively.
WITH typed AS (
    SELECT
        TRY_CAST(customer_id AS BIGINT)                 AS customer_id,
        trim(CAST(name AS VARCHAR))                     AS name,
        lower(trim(CAST(email AS VARCHAR)))             AS email,
        lower(trim(CAST(region AS VARCHAR)))            AS region,
        lower(trim(CAST(segment AS VARCHAR)))           AS segment,
        TRY_CAST(signup_date AS DATE)                   AS signup_date,
        TRY_CAST(birth_year AS INTEGER)                 AS birth_year,
        TRY_CAST(marketing_opt_in AS BOOLEAN)           AS marketing_opt_in,
        _source_file,
        _ingested_at
    FROM STREAM(bronze.customers)  -- only the files not processed yet (all on a full refresh)
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY customer_id
            ORDER BY _ingested_at DESC, _source_file DESC
        ) AS _rank
    FROM typed
)
SELECT * EXCLUDE (_rank)
FROM ranked
WHERE _rank = 1
