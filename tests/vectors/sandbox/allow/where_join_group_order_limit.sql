-- a join with filters, grouping, ordering and a limit
SELECT c.name, count(o.id) AS orders
FROM customers c JOIN orders o ON o.customer_id = c.id
WHERE o.total > 10
GROUP BY c.name
HAVING count(o.id) > 1
ORDER BY orders DESC
LIMIT 10
