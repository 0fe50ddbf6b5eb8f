-- FOR SHARE takes row locks
-- rule: deny.locking_clause
SELECT * FROM orders FOR SHARE NOWAIT
