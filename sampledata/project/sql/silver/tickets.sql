-- silver.tickets: support tickets, one row per ticket_id. satisfaction is
-- NULL when the customer did not answer the survey.
WITH typed AS (
    SELECT
        TRY_CAST(ticket_id AS BIGINT)                   AS ticket_id,
        TRY_CAST(customer_id AS BIGINT)                 AS customer_id,
        TRY_CAST(opened_ts AS TIMESTAMP)                AS opened_ts,
        lower(trim(CAST(category AS VARCHAR)))          AS category,
        lower(trim(CAST(priority AS VARCHAR)))          AS priority,
        lower(trim(CAST(channel AS VARCHAR)))           AS channel,
        TRY_CAST(satisfaction AS INTEGER)               AS satisfaction,
        TRY_CAST(resolution_hours AS DOUBLE)            AS resolution_hours,
        _source_file,
        _ingested_at
    FROM STREAM(bronze.tickets)  -- only the files not processed yet (all on a full refresh)
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY ticket_id
            ORDER BY _ingested_at DESC, _source_file DESC
        ) AS _rank
    FROM typed
)
SELECT * EXCLUDE (_rank)
FROM ranked
WHERE _rank = 1
