-- id: top_customers_by_revenue
SELECT c.id, c.name, SUM(o.total) AS revenue FROM customers c JOIN orders o ON o.customer_id = c.id
GROUP BY c.id, c.name ORDER BY revenue DESC LIMIT 10

-- id: monthly_revenue_cte
WITH monthly AS (SELECT DATE_FORMAT(created_at, '%Y-%m') AS month, SUM(total) AS revenue FROM orders GROUP BY 1)
SELECT month, revenue, revenue - LAG(revenue) OVER (ORDER BY month) AS change_from_previous FROM monthly ORDER BY month

-- id: running_total_window
SELECT id, created_at, total, SUM(total) OVER (ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running FROM orders

-- id: rank_within_country
SELECT country, name, RANK() OVER (PARTITION BY country ORDER BY created_at) AS signup_rank FROM customers

-- id: dense_rank_and_row_number
SELECT id, DENSE_RANK() OVER w, ROW_NUMBER() OVER w, NTILE(4) OVER w FROM orders WINDOW w AS (ORDER BY total)

-- id: percentile_cont_window
SELECT DISTINCT status, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY status) AS median FROM orders

-- id: median_window
SELECT DISTINCT status, MEDIAN(total) OVER (PARTITION BY status) FROM orders

-- id: rollup
SELECT country, status, COUNT(*) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY country, status WITH ROLLUP

-- id: recursive_cte
WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT SUM(i) FROM n

-- id: json_functions
SELECT id, JSON_VALUE(profile, '$.plan') AS plan, JSON_EXTRACT(profile, '$.seats') AS seats FROM customers WHERE JSON_CONTAINS_PATH(profile, 'one', '$.plan')

-- id: json_unquote_and_keys
SELECT id, JSON_UNQUOTE(JSON_EXTRACT(profile, '$.plan')), JSON_KEYS(profile), JSON_LENGTH(profile) FROM customers

-- id: json_table
SELECT c.id, j.plan FROM customers c, JSON_TABLE(c.profile, '$' COLUMNS (plan VARCHAR(10) PATH '$.plan')) AS j

-- id: json_aggregation
SELECT country, JSON_ARRAYAGG(id) FROM customers GROUP BY country

-- id: group_concat
SELECT country, GROUP_CONCAT(name ORDER BY name SEPARATOR ', ') FROM customers GROUP BY country

-- id: regexp
SELECT email, REGEXP_SUBSTR(email, '@.*$') AS domain FROM customers WHERE email REGEXP '^cust[0-9]+@example\\.com$'

-- id: regexp_replace
SELECT REGEXP_REPLACE(name, ' +', '_') FROM customers

-- id: date_functions
SELECT YEAR(created_at), MONTH(created_at), DAYOFWEEK(created_at), DATE(created_at), DATEDIFF(NOW(), created_at), DATE_ADD(created_at, INTERVAL 1 WEEK), LAST_DAY(created_at) FROM orders

-- id: extract_and_timestampdiff
SELECT EXTRACT(YEAR_MONTH FROM created_at), TIMESTAMPDIFF(DAY, created_at, '2025-01-01'), UNIX_TIMESTAMP(created_at) FROM orders

-- id: interval_arithmetic
SELECT COUNT(*) FROM orders WHERE created_at >= CURRENT_DATE - INTERVAL 10 YEAR

-- id: union_all
SELECT 'customer' AS kind, COUNT(*) FROM customers UNION ALL SELECT 'order', COUNT(*) FROM orders

-- id: intersect_except
(SELECT customer_id FROM orders WHERE status = 'paid' INTERSECT SELECT id FROM customers) EXCEPT SELECT customer_id FROM orders WHERE status = 'refunded'

-- id: exists
SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.total > 1000)

-- id: correlated_scalar_subquery
SELECT c.name, (SELECT MAX(total) FROM orders o WHERE o.customer_id = c.id) AS biggest FROM customers c

-- id: derived_table
SELECT s.status, s.n FROM (SELECT status, COUNT(*) AS n FROM orders GROUP BY status) AS s WHERE s.n > 1

-- id: case_if_ifnull
SELECT id, CASE WHEN total > 100 THEN 'large' ELSE 'small' END, IF(status = 'paid', 1, 0), IFNULL(status, '?'), COALESCE(NULL, total), NULLIF(total, 0) FROM orders

-- id: four_table_join
SELECT p.category, c.country, SUM(i.quantity * i.unit_price) AS revenue
FROM order_items i JOIN orders o ON o.id = i.order_id JOIN products p ON p.id = i.product_id JOIN customers c ON c.id = o.customer_id
GROUP BY p.category, c.country HAVING SUM(i.quantity) > 1 ORDER BY revenue DESC

-- id: left_join_with_null_check
SELECT c.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL

-- id: view
SELECT * FROM customer_totals ORDER BY total DESC LIMIT 5

-- id: keyword_columns_backticks
SELECT e.`user`, e.`select`, e.`group`, e.`order`, e.`desc` FROM events e ORDER BY e.`order`

-- id: comments
/* report */ SELECT id, -- the id
total FROM orders # hash comment
WHERE total > 0

-- id: trailing_semicolon
SELECT COUNT(*) FROM customers;

-- id: literals_that_look_dangerous
SELECT 'DELETE FROM orders; DROP TABLE customers' AS note, "SLEEP(10)" AS other

-- id: like_and_in
SELECT name FROM customers WHERE name LIKE 'Cust%' AND country IN ('NL', 'DE') AND id BETWEEN 1 AND 20

-- id: string_functions
SELECT CONCAT_WS('-', country, id), UPPER(name), LOWER(email), LEFT(name, 3), SUBSTRING_INDEX(email, '@', -1), LPAD(id, 5, '0'), TRIM(name), REPLACE(email, '@', ' at '), CHAR_LENGTH(name) FROM customers

-- id: numeric_functions
SELECT ROUND(AVG(total), 2), STDDEV_SAMP(total), VAR_POP(total), MIN(total), MAX(total), FLOOR(SUM(total)), ABS(-1), MOD(7, 3), POW(2, 10) FROM orders

-- id: count_distinct
SELECT COUNT(DISTINCT customer_id), COUNT(*) FROM orders

-- id: limit_offset
SELECT id FROM orders ORDER BY id LIMIT 5 OFFSET 10

-- id: information_schema_columns
SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position

-- id: information_schema_tables
SELECT table_name, table_rows, data_length FROM information_schema.tables WHERE table_schema = DATABASE()

-- id: information_schema_key_usage
SELECT constraint_name, table_name, column_name FROM information_schema.key_column_usage WHERE table_schema = DATABASE()

-- id: cast_and_convert
SELECT CAST(total AS SIGNED), CAST(created_at AS DATE), CONVERT(id, CHAR), FORMAT(total, 2) FROM orders

-- id: current_info
SELECT DATABASE(), CURRENT_USER(), VERSION(), NOW(), CONNECTION_ID() > 0

-- id: random_sample
SELECT id FROM customers ORDER BY RAND() LIMIT 3

-- id: hashes
SELECT MD5(email), SHA2(email, 256) FROM customers

-- id: find_in_set
SELECT id FROM customers WHERE FIND_IN_SET('vip', tags) > 0

-- id: greatest_least
SELECT GREATEST(total, 10), LEAST(total, 100) FROM orders

-- id: first_value_last_value
SELECT DISTINCT customer_id, FIRST_VALUE(total) OVER w, LAST_VALUE(total) OVER w
FROM orders WINDOW w AS (PARTITION BY customer_id ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)

-- id: lead_and_cume_dist
SELECT id, LEAD(total) OVER (ORDER BY id), CUME_DIST() OVER (ORDER BY total), PERCENT_RANK() OVER (ORDER BY total) FROM orders

-- id: values_in_subquery
SELECT * FROM (VALUES (1, 'paid'), (2, 'refunded')) AS v

-- id: sequence_engine_calendar
SELECT DATE('2024-01-01' + INTERVAL seq DAY) AS d FROM seq_0_to_30

-- id: sum_over_partition
SELECT id, customer_id, total / SUM(total) OVER (PARTITION BY customer_id) AS share FROM orders

-- id: having_with_alias
SELECT customer_id, COUNT(*) AS n FROM orders GROUP BY customer_id HAVING n > 3 ORDER BY n DESC
