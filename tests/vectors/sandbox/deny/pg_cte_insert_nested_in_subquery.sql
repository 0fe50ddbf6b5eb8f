-- the tree walk finds a data-modifying WITH nested inside a subquery
-- rule: deny.data_modifying_cte
SELECT * FROM (WITH x AS (INSERT INTO orders (id) VALUES (1) RETURNING id) SELECT * FROM x) s
