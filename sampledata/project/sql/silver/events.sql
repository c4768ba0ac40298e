-- silver.events: web events, one row per event_id. customer_id is NULL for
-- anonymous visitors; that is expected, not a defect.
WITH typed AS (
    SELECT
        TRY_CAST(event_id AS BIGINT)                    AS event_id,
        TRY_CAST(customer_id AS BIGINT)                 AS customer_id,
        trim(CAST(session_id AS VARCHAR))               AS session_id,
        TRY_CAST(ts AS TIMESTAMP)                       AS event_ts,
        lower(trim(CAST("type" AS VARCHAR)))            AS event_type,
        trim(CAST(page AS VARCHAR))                     AS page,
        lower(trim(CAST(device AS VARCHAR)))            AS device,
        _source_file,
        _ingested_at
    FROM STREAM(bronze.events)  -- only the files not processed yet (all on a full refresh)
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY event_id
            ORDER BY _ingested_at DESC, _source_file DESC
        ) AS _rank
    FROM typed
)
SELECT * EXCLUDE (_rank)
FROM ranked
WHERE _rank = 1
