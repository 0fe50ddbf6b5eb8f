-- subqueries in WHERE and FROM
SELECT * FROM (SELECT id FROM customers) s WHERE id IN (SELECT customer_id FROM orders)
