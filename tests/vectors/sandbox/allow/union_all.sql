-- set operations over SELECTs
SELECT id FROM customers UNION ALL SELECT customer_id FROM orders
