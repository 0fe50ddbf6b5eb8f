-- EXPLAIN is only allowed over a read-only query
-- rule: deny.not_read_only
EXPLAIN DELETE FROM orders
