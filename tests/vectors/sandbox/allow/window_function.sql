-- window functions
SELECT id, row_number() OVER (PARTITION BY customer_id ORDER BY total) AS rn FROM orders
