-- a locking clause inside one branch of a set operation is found
-- rule: deny.locking_clause
SELECT id FROM customers UNION ALL (SELECT id FROM orders FOR KEY SHARE)
