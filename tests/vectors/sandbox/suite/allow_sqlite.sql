-- id: top_customers_by_revenue
SELECT c.id, c.name, SUM(o.total) AS revenue FROM customers c JOIN orders o ON o.customer_id = c.id
GROUP BY c.id, c.name ORDER BY revenue DESC LIMIT 10

-- id: monthly_revenue_cte
WITH monthly AS (SELECT strftime('%Y-%m', created_at) AS month, SUM(total) AS revenue FROM orders GROUP BY 1)
SELECT month, revenue, revenue - LAG(revenue) OVER (ORDER BY month) AS change FROM monthly ORDER BY month

-- id: running_total_window
SELECT id, created_at, total, SUM(total) OVER (ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running FROM orders

-- id: rank_within_country
SELECT country, name, RANK() OVER (PARTITION BY country ORDER BY created_at) AS signup_rank FROM customers

-- id: named_window
SELECT id, DENSE_RANK() OVER w, ROW_NUMBER() OVER w, NTILE(4) OVER w, PERCENT_RANK() OVER w, CUME_DIST() OVER w FROM orders WINDOW w AS (ORDER BY total)

-- id: first_last_value
SELECT DISTINCT customer_id, FIRST_VALUE(total) OVER w, LAST_VALUE(total) OVER w
FROM orders WINDOW w AS (PARTITION BY customer_id ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)

-- id: lead_lag_nth
SELECT id, LEAD(total, 1, 0) OVER (ORDER BY id), NTH_VALUE(total, 2) OVER (ORDER BY id) FROM orders

-- id: recursive_cte
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT SUM(i) FROM n

-- id: recursive_calendar
WITH RECURSIVE d(day) AS (SELECT date('2024-01-01') UNION ALL SELECT date(day, '+1 day') FROM d WHERE day < '2024-01-31')
SELECT d.day, COUNT(o.id) FROM d LEFT JOIN orders o ON date(o.created_at) = d.day GROUP BY d.day

-- id: json_extract
SELECT id, json_extract(profile, '$.plan') AS plan, json_extract(profile, '$.seats') FROM customers WHERE json_valid(profile)

-- id: json_arrow_operators
SELECT id, profile -> '$.plan', profile ->> '$.seats' FROM customers

-- id: json_each
SELECT c.id, j.key, j.value FROM customers c, json_each(c.profile) AS j

-- id: json_group_array
SELECT country, json_group_array(id), json_group_object(name, id) FROM customers GROUP BY country

-- id: group_concat
SELECT country, group_concat(name, ', ') FROM customers GROUP BY country

-- id: date_functions
SELECT date(created_at), time(created_at), datetime(created_at, '+1 day'), julianday('2025-01-01') - julianday(created_at), strftime('%w', created_at), unixepoch(created_at) FROM orders

-- id: date_modifiers
SELECT COUNT(*) FROM orders WHERE created_at >= date('now', '-10 years')

-- id: union_all
SELECT 'customer' AS kind, COUNT(*) FROM customers UNION ALL SELECT 'order', COUNT(*) FROM orders

-- id: intersect_except
SELECT customer_id FROM orders WHERE status = 'paid' INTERSECT SELECT id FROM customers EXCEPT SELECT customer_id FROM orders WHERE status = 'refunded'

-- id: exists
SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.total > 1000)

-- id: correlated_scalar_subquery
SELECT c.name, (SELECT MAX(total) FROM orders o WHERE o.customer_id = c.id) AS biggest FROM customers c

-- id: derived_table
SELECT s.status, s.n FROM (SELECT status, COUNT(*) AS n FROM orders GROUP BY status) AS s WHERE s.n > 1

-- id: case_iif_ifnull
SELECT id, CASE WHEN total > 100 THEN 'large' ELSE 'small' END, iif(status = 'paid', 1, 0), ifnull(status, '?'), coalesce(NULL, total), nullif(total, 0) FROM orders

-- id: four_table_join
SELECT p.category, c.country, SUM(i.quantity * i.unit_price) AS revenue
FROM order_items i JOIN orders o ON o.id = i.order_id JOIN products p ON p.id = i.product_id JOIN customers c ON c.id = o.customer_id
GROUP BY p.category, c.country HAVING SUM(i.quantity) > 1 ORDER BY revenue DESC

-- id: left_join_null_check
SELECT c.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL

-- id: view
SELECT * FROM customer_totals ORDER BY total DESC LIMIT 5

-- id: keyword_columns
SELECT e."user", e."select", e."group", e."order", e."desc" FROM events e ORDER BY e."order"

-- id: comments
/* report */ SELECT id, -- the id
total FROM orders WHERE total > 0 /* positive */

-- id: trailing_semicolon
SELECT COUNT(*) FROM customers;

-- id: literals_that_look_dangerous
SELECT 'DELETE FROM orders; DROP TABLE customers' AS note, 'load_extension(x)' AS other

-- id: like_glob_in_between
SELECT name FROM customers WHERE name LIKE 'Cust%' AND email GLOB 'cust*' AND country IN ('NL', 'DE') AND id BETWEEN 1 AND 20

-- id: string_functions
SELECT upper(name), lower(email), substr(name, 1, 3), instr(email, '@'), replace(email, '@', ' at '), trim(name), length(name), printf('%05d', id), hex(id), quote(name) FROM customers

-- id: numeric_functions
SELECT round(avg(total), 2), min(total), max(total), total(total), sum(total), abs(-1), count(DISTINCT customer_id) FROM orders

-- id: math_functions
SELECT sqrt(total), power(total, 2), ln(total + 1), floor(total), ceil(total), pi() FROM orders

-- id: limit_offset
SELECT id FROM orders ORDER BY id LIMIT 5 OFFSET 10

-- id: sqlite_schema
SELECT type, name, tbl_name FROM sqlite_schema ORDER BY name

-- id: sqlite_master_sql
SELECT name, sql FROM sqlite_master WHERE type = 'table'

-- id: pragma_table_info
SELECT name, type, pk FROM pragma_table_info('customers')

-- id: pragma_foreign_keys_and_indexes
SELECT * FROM pragma_index_list('orders') UNION ALL SELECT seq, 'fk', 0, 'x', 0 FROM pragma_foreign_key_list('orders')

-- id: cast
SELECT CAST(total AS INTEGER), CAST(id AS TEXT), typeof(total) FROM orders

-- id: random_sample
SELECT id FROM customers ORDER BY random() LIMIT 3

-- id: values_clause
SELECT * FROM (VALUES (1, 'paid'), (2, 'refunded'))

-- id: greatest_least_scalar_max_min
SELECT max(total, 10), min(total, 100) FROM orders

-- id: having_with_alias
SELECT customer_id, COUNT(*) AS n FROM orders GROUP BY customer_id HAVING n > 3 ORDER BY n DESC

-- id: filter_clause
SELECT COUNT(*) FILTER (WHERE status = 'paid'), COUNT(*) FILTER (WHERE status <> 'paid') FROM orders

-- id: sum_over_partition
SELECT id, customer_id, total / SUM(total) OVER (PARTITION BY customer_id) AS share FROM orders

-- id: string_concat_operator
SELECT name || ' <' || email || '>' FROM customers

-- id: sqlite_version
SELECT sqlite_version()

-- id: nested_ctes
WITH a AS (SELECT customer_id, SUM(total) AS t FROM orders GROUP BY 1), b AS (SELECT * FROM a WHERE t > 50)
SELECT c.name, b.t FROM b JOIN customers c ON c.id = b.customer_id

-- id: case_expression_group
SELECT CASE WHEN total < 50 THEN 'low' WHEN total < 150 THEN 'mid' ELSE 'high' END AS band, COUNT(*) FROM orders GROUP BY band

-- id: distinct_and_order_by_expression
SELECT DISTINCT country FROM customers ORDER BY lower(country)

-- id: bracket_and_backtick_identifiers
SELECT [name], `email` FROM customers LIMIT 3
