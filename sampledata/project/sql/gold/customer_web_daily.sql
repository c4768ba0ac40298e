-- gold.customer_web_daily: web events per known customer and day, with the
-- last event's time. gold.customer_360 and gold.customer_features sum it; a
-- daily run rebuilds only its last days.
SELECT
    CAST(event_ts AS DATE)                          AS day,
    customer_id,
    count(*)                                        AS web_events,
    max(event_ts)                                   AS last_seen
FROM silver.events
WHERE customer_id IS NOT NULL
GROUP BY CAST(event_ts AS DATE), customer_id
