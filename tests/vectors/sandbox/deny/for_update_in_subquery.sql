-- a locking clause in a subquery is found by the tree walk
-- rule: deny.locking_clause
SELECT * FROM customers WHERE id IN (SELECT customer_id FROM orders FOR UPDATE)
