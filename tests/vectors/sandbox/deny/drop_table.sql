-- DDL is not a read
-- rule: deny.not_read_only
DROP TABLE orders
