-- a plain DELETE is not a read
-- rule: deny.not_read_only
DELETE FROM orders
