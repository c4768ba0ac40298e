-- silver.events: web events, one row per event_id. customer_id is NULL for
-- anonymous visitors; that is expected, not a defect.
WITH typed AS NOT MATERIALIZED (
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
-- Most keys arrive once: only the keys that repeat go through the window
-- that keeps the latest ingested row (a window over every row costs about
-- three times as much). NULL keys count as one key, as in the window.
-- typed is NOT MATERIALIZED: each branch reads bronze again, which costs
-- less than DuckDB keeping every typed row (a CTE read thrice) in memory.
repeated AS (
    SELECT event_id FROM typed GROUP BY event_id HAVING count(*) > 1
),
latest AS (
    SELECT t.* FROM typed AS t
    ANTI JOIN repeated AS r ON t.event_id IS NOT DISTINCT FROM r.event_id
    UNION ALL
    SELECT * FROM (
        SELECT t.* FROM typed AS t
        SEMI JOIN repeated AS r ON t.event_id IS NOT DISTINCT FROM r.event_id
    )
    QUALIFY row_number() OVER (
        PARTITION BY event_id
        ORDER BY _ingested_at DESC, _source_file DESC
    ) = 1
)
SELECT *
FROM latest
