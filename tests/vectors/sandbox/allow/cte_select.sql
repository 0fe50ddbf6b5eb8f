-- a WITH clause that only reads
WITH big AS (SELECT id FROM orders WHERE total > 100)
SELECT count(*) FROM big
