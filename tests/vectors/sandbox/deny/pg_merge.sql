-- MERGE writes
-- rule: deny.not_read_only
MERGE INTO orders o USING customers c ON o.customer_id = c.id WHEN MATCHED THEN DELETE
