// Package sampledata owns lakebench's sample domain: a deterministic,
// seeded generator of a retail business that writes a landing zone of daily
// batch files, and the sample project template (lakebench.yml and the SQL
// models of silver and gold) that every demo runs on.
//
// # Landing zone
//
// Generate writes days 1..Options.Days (default DefaultDays, Horizon is 60)
// under dir/landing/<source>/<source>_<YYYY-MM-DD>.<ext>, day 1 being
// StartDate (2026-01-05), and records scale, seed and days in StateFile;
// Next writes the following day. A day's files depend only on scale, seed
// and day number, so they are byte-identical (CSV, JSON) or equal in content
// (Parquet) whether Generate or Next wrote them, on any machine. Files are
// written under a dot-prefixed temporary name and renamed into place.
//
//	customers   CSV      customer_id,name,email,region,segment,signup_date,birth_year,marketing_opt_in
//	                     day 1: the customer base (85%); later days: new signups plus a few
//	                     existing customers with a changed email (same customer_id)
//	products    CSV      product_id,sku,name,category,brand,unit_price,launched_date
//	                     day 1: the catalog; days 15, 30 and 45: a few launches; no file on other days
//	orders      Parquet  order_id BIGINT, customer_id BIGINT, order_ts TIMESTAMP, channel,
//	                     payment_method, discount_pct DOUBLE (percent), status, shipping_fee DOUBLE
//	order_items Parquet  order_item_id BIGINT, order_id BIGINT, product_id BIGINT,
//	                     quantity INTEGER, unit_price DOUBLE
//	events      JSON     event_id, customer_id (null: anonymous), session_id, ts, type, page, device
//	tickets     JSON     ticket_id, customer_id, opened_ts, category, priority, channel,
//	                     satisfaction (1-5 or null), resolution_hours
//
// JSON files hold one object per line; timestamps are ISO 8601 without a
// zone (UTC), as 2026-01-05T13:04:05.
//
// # Signal
//
// Each customer has latent traits (activity, discount affinity, support
// need, region). Churners are drawn from a logistic function of them; their
// activity decays from a day 8 to 25 days before ChurnCutoffDay (Horizon-30)
// and stops on it, and they open more, less satisfied, tickets before it. A
// logistic regression on recency, frequency, monetary, tickets, average
// discount and region, computed before the cutoff, reaches a ROC AUC of about
// 0.82-0.89 at dev scale. Orders peak on weekends.
//
// # Planted incidents
//
// The same days at every scale (counts grow with the scale; see Incidents):
//
//  1. Day 17 (NullCustomerDay): about 1% of the orders rows have a NULL
//     customer_id, and some order_items rows of that batch have a negative
//     quantity (IncidentFacts.NullCustomerOrders, NegativeQuantityItems).
//  2. Day 24 (MissingOrdersDay): no orders and no order_items file at all;
//     events and tickets of that day exist.
//  3. Days 26-35: not an incident but a business signal: 40% of the
//     electronics items are bought in other categories instead, so
//     electronics revenue dips (RevenueDipFrom, RevenueDipTo).
//  4. Days 40 and 42 (LateOrdersDay, LateArrivalDay): some orders of day 40,
//     with their items, arrive in the batch of day 42; order_ts keeps the
//     real time (IncidentFacts.LateOrders).
//  5. Days 47-60 (PriceDriftFrom to Horizon): order_items.unit_price of the
//     home category is 15% above the catalog price.
//  6. Day 55 (DuplicateOrdersDay): a few orders rows are repeated verbatim,
//     each right after its original (IncidentFacts.DuplicateOrders); this
//     batch is one Next drops after a default Generate.
//  7. Day 12 (MalformedCustomersDay, a signup campaign): the customers CSV
//     holds MalformedCustomerLines extra bad lines: too many columns, too few,
//     a non-date signup_date, invalid UTF-8 and an unterminated quote, in
//     that order, spread through the file with good lines between and after
//     them (IncidentFacts.MalformedLines gives their line numbers).
package sampledata
