-- CREATE TABLE AS writes
-- rule: deny.not_read_only
CREATE TABLE copy_of_orders AS SELECT * FROM orders
