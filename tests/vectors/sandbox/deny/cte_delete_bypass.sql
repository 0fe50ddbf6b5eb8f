-- a DELETE inside WITH runs even though the root is a SELECT
-- rule: deny.data_modifying_cte
WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone
