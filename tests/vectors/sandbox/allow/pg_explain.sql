-- EXPLAIN without ANALYZE only plans the query
EXPLAIN SELECT * FROM orders WHERE id = 1
