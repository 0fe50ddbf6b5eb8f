-- PostgreSQL-only read syntax
SELECT DISTINCT ON (c.id) c.id, o.total FROM customers c CROSS JOIN LATERAL (SELECT total FROM orders WHERE customer_id = c.id) o ORDER BY c.id, o.total DESC
