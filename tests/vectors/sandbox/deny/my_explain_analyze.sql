-- ANALYZE executes the statement
EXPLAIN ANALYZE SELECT * FROM orders
