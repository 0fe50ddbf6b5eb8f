-- EXPLAIN (ANALYZE) of a DELETE would delete
-- rule: deny.explain_analyze
EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM orders
