-- gold.order_item_prices: every order line with the price it was sold at
-- against the catalog's (price_index = unit_price / list_price), per order
-- day and category: what the price monitor in lakebench.yml watches for a
-- category sold above its list price. A daily run rebuilds only its last
-- days.
SELECT
    o.order_date,
    i.order_item_id,
    i.product_id,
    coalesce(p.category, 'unknown')                 AS category,
    i.quantity,
    i.unit_price,
    p.unit_price                                    AS list_price,
    round(i.unit_price / nullif(p.unit_price, 0), 4) AS price_index
FROM silver.order_items AS i
JOIN silver.orders AS o ON o.order_id = i.order_id
LEFT JOIN silver.products AS p ON p.product_id = i.product_id
