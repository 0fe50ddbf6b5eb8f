-- LOCK IN SHARE MODE takes row locks
-- rule: deny.locking_clause
SELECT * FROM orders LOCK IN SHARE MODE
