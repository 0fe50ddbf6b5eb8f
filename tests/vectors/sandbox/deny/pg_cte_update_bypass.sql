-- an UPDATE inside WITH runs even though the root is a SELECT
-- rule: deny.data_modifying_cte
WITH x AS (UPDATE orders SET total = 0 RETURNING id) SELECT * FROM x
