-- FOR UPDATE takes row locks
-- rule: deny.locking_clause
SELECT * FROM orders FOR UPDATE
