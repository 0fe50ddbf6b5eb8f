-- id: top_customers_by_revenue
SELECT c.id, c.name, sum(o.total) AS revenue
FROM customers c JOIN orders o ON o.customer_id = c.id
GROUP BY c.id, c.name ORDER BY revenue DESC LIMIT 10

-- id: monthly_revenue_cte
WITH monthly AS (
  SELECT date_trunc('month', created_at) AS month, sum(total) AS revenue
  FROM orders GROUP BY 1
)
SELECT month, revenue, revenue - lag(revenue) OVER (ORDER BY month) AS change FROM monthly ORDER BY month

-- id: running_total_window
SELECT id, created_at, total, sum(total) OVER (ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
FROM orders ORDER BY created_at

-- id: rank_within_country
SELECT country, name, rank() OVER (PARTITION BY country ORDER BY created_at) AS signup_rank FROM customers

-- id: median_order_value
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median, percentile_disc(0.9) WITHIN GROUP (ORDER BY total) AS p90 FROM orders

-- id: mode_of_status
SELECT mode() WITHIN GROUP (ORDER BY status) FROM orders

-- id: grouping_sets
SELECT country, status, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id
GROUP BY GROUPING SETS ((country), (status), ())

-- id: rollup_with_grouping
SELECT country, status, grouping(country, status) AS level, sum(total)
FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY ROLLUP (country, status)

-- id: cube
SELECT country, status, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY CUBE (country, status)

-- id: lateral_latest_order
SELECT c.name, last.id, last.total
FROM customers c
CROSS JOIN LATERAL (SELECT id, total FROM orders o WHERE o.customer_id = c.id ORDER BY created_at DESC LIMIT 1) AS last

-- id: left_join_lateral_on_true
SELECT c.id, x.n FROM customers c LEFT JOIN LATERAL (SELECT count(*) AS n FROM orders o WHERE o.customer_id = c.id) x ON true

-- id: json_operators
SELECT profile ->> 'plan' AS plan, profile -> 'limits' ->> 'seats' AS seats, profile #>> '{limits,seats}' AS seats2
FROM customers WHERE profile ? 'plan' AND profile @> '{"active": true}'

-- id: jsonb_each_in_from
SELECT c.id, kv.key, kv.value FROM customers c, jsonb_each(c.profile) AS kv

-- id: json_aggregation
SELECT country, jsonb_agg(jsonb_build_object('id', id, 'name', name) ORDER BY id) FROM customers GROUP BY country

-- id: jsonpath
SELECT id FROM customers WHERE jsonb_path_exists(profile, '$.limits.seats ? (@ > 5)')

-- id: arrays
SELECT id, tags, array_length(tags, 1), tags[1] AS first_tag FROM customers WHERE 'vip' = ANY(tags) OR tags && ARRAY['beta']

-- id: unnest_tags
SELECT tag, count(*) FROM customers, unnest(tags) AS tag GROUP BY tag ORDER BY count(*) DESC

-- id: array_agg_distinct
SELECT status, array_agg(DISTINCT customer_id ORDER BY customer_id) FROM orders GROUP BY status

-- id: regex_match
SELECT email, substring(email FROM '@(.*)$') AS domain FROM customers WHERE email ~* '^[a-z]+[0-9]*@example\.(com|org)$'

-- id: regexp_functions
SELECT regexp_replace(name, '\s+', ' ', 'g'), regexp_match(email, '^([^@]+)@'), split_part(email, '@', 2) FROM customers

-- id: date_functions
SELECT extract(year FROM created_at) AS y, extract(dow FROM created_at) AS dow, to_char(created_at, 'YYYY-MM') AS ym,
  age(now(), created_at), created_at AT TIME ZONE 'UTC', date_bin('15 minutes', created_at, timestamptz '2024-01-01')
FROM orders

-- id: interval_arithmetic
SELECT count(*) FROM orders WHERE created_at >= now() - interval '10 years' AND created_at < current_date + 1

-- id: generate_series_calendar
SELECT d::date, count(o.id)
FROM generate_series(timestamptz '2024-01-01', timestamptz '2024-03-01', interval '1 day') AS d
LEFT JOIN orders o ON date_trunc('day', o.created_at) = d GROUP BY d ORDER BY d

-- id: union_all
SELECT 'customer' AS kind, count(*) FROM customers UNION ALL SELECT 'order', count(*) FROM orders

-- id: intersect_except
(SELECT customer_id FROM orders WHERE status = 'paid' INTERSECT SELECT id FROM customers) EXCEPT SELECT customer_id FROM orders WHERE status = 'refunded'

-- id: exists_and_not_exists
SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = 'refunded')

-- id: correlated_scalar_subquery
SELECT c.name, (SELECT max(total) FROM orders o WHERE o.customer_id = c.id) AS biggest FROM customers c

-- id: recursive_cte
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT sum(i) FROM n

-- id: distinct_on
SELECT DISTINCT ON (customer_id) customer_id, id, total FROM orders ORDER BY customer_id, created_at DESC

-- id: filter_clause
SELECT count(*) FILTER (WHERE status = 'paid') AS paid, count(*) FILTER (WHERE status <> 'paid') AS other FROM orders

-- id: case_and_coalesce
SELECT id, CASE WHEN total > 100 THEN 'large' WHEN total > 20 THEN 'medium' ELSE 'small' END AS size, coalesce(status, 'unknown'), nullif(total, 0), greatest(total, 1) FROM orders

-- id: string_agg
SELECT country, string_agg(name, ', ' ORDER BY name) FROM customers GROUP BY country

-- id: ntile_and_percent_rank
SELECT id, ntile(4) OVER w, percent_rank() OVER w, cume_dist() OVER w FROM orders WINDOW w AS (ORDER BY total)

-- id: first_last_value
SELECT DISTINCT customer_id, first_value(total) OVER w, last_value(total) OVER w
FROM orders WINDOW w AS (PARTITION BY customer_id ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)

-- id: statistics
SELECT avg(total), stddev_samp(total), var_pop(total), corr(quantity, unit_price), regr_slope(unit_price, quantity) FROM orders o JOIN order_items i ON i.order_id = o.id

-- id: order_items_join_four_tables
SELECT p.category, c.country, sum(i.quantity * i.unit_price) AS revenue
FROM order_items i JOIN orders o ON o.id = i.order_id JOIN products p ON p.id = i.product_id JOIN customers c ON c.id = o.customer_id
GROUP BY p.category, c.country HAVING sum(i.quantity) > 1 ORDER BY revenue DESC

-- id: view_and_schema_qualified
SELECT t.name, t.total, s.amount FROM customer_totals t CROSS JOIN sales.targets s WHERE s.quarter = 1 LIMIT 5

-- id: quoted_identifiers_and_keyword_columns
SELECT e."user", e."select", e."group", e."order", e."desc" FROM events e ORDER BY e."order"

-- id: comments_everywhere
/* revenue report */ SELECT -- the id
  id, /* and the total */ total FROM orders -- all of them
WHERE total > 0 /* positive */

-- id: trailing_semicolon
SELECT count(*) FROM customers;

-- id: literals_that_look_dangerous
SELECT 'DELETE FROM orders; DROP TABLE customers' AS note, $$ COMMIT; $$ AS other, 'pg_sleep(10)' AS fn

-- id: like_and_ilike
SELECT name FROM customers WHERE name ILIKE 'cust%' AND email NOT LIKE '%@spam.%' AND name SIMILAR TO '%(1|2)%'

-- id: in_list_and_between
SELECT id FROM orders WHERE status IN ('paid', 'shipped') AND total BETWEEN 10 AND 500

-- id: values_list
SELECT * FROM (VALUES (1, 'paid'), (2, 'refunded')) AS v(code, status)

-- id: table_statement
TABLE products

-- id: explain
EXPLAIN SELECT * FROM orders WHERE customer_id = 3

-- id: explain_options_without_analyze
EXPLAIN (COSTS false, FORMAT json) SELECT * FROM orders

-- id: information_schema_columns
SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position

-- id: pg_catalog_table_sizes
SELECT c.relname, pg_size_pretty(pg_total_relation_size(c.oid)), c.reltuples::bigint
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'

-- id: pg_catalog_foreign_keys
SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'

-- id: view_definition_and_comments
SELECT viewname, pg_get_viewdef(viewname::regclass), obj_description('customers'::regclass, 'pg_class') FROM pg_views WHERE schemaname = 'public'

-- id: casts_and_formatting
SELECT total::int, total::text, round(total, 1), to_char(total, 'FM999990.00'), format('%s-%s', id, status), cast(created_at AS date) FROM orders

-- id: full_text_search
SELECT id FROM customers WHERE to_tsvector('simple', name) @@ plainto_tsquery('simple', 'customer')

-- id: tablesample_bernoulli
SELECT count(*) FROM orders TABLESAMPLE BERNOULLI (50) REPEATABLE (1)

-- id: row_comparison_and_is_distinct
SELECT id FROM orders WHERE (customer_id, status) IN (SELECT id, 'paid' FROM customers) OR status IS DISTINCT FROM 'paid'

-- id: current_info_functions
SELECT current_user, current_database(), current_schema(), version(), now(), pg_backend_pid() > 0

-- id: random_sample
SELECT id FROM customers ORDER BY random() LIMIT 3

-- id: fetch_first_and_offset
SELECT id FROM orders ORDER BY id OFFSET 5 ROWS FETCH FIRST 5 ROWS ONLY

-- id: width_bucket_histogram
SELECT width_bucket(total, 0, 500, 10) AS bucket, count(*) FROM orders GROUP BY 1 ORDER BY 1

-- id: md5_and_encode
SELECT md5(email), encode(sha256(convert_to(email, 'UTF8')), 'hex') FROM customers

-- id: pg_catalog_qualified_builtin
SELECT pg_catalog.lower(name), pg_catalog.count(*) FROM customers GROUP BY 1

-- id: ranges
SELECT tstzrange(min(created_at), max(created_at)) @> now() FROM orders

-- id: rows_from
SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY['a', 'b'])) AS t(n, s)
