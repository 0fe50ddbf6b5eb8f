-- the tree walk finds a data-modifying WITH nested in a WHERE subquery
-- rule: deny.data_modifying_cte
WITH x AS (SELECT 1 AS id) SELECT * FROM x WHERE id IN (SELECT id FROM (WITH m AS (DELETE FROM orders RETURNING id) SELECT id FROM m) d)
