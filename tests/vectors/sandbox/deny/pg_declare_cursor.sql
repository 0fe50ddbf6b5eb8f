-- DECLARE keeps a cursor open past the query
-- rule: deny.not_read_only
DECLARE c CURSOR FOR SELECT * FROM orders
