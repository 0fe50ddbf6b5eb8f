-- EXPLAIN ANALYZE executes the statement
-- rule: deny.explain_analyze
EXPLAIN ANALYZE SELECT * FROM orders
