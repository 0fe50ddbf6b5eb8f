-- a DELETE stacked after a SELECT is refused as a second statement
-- rule: deny.multiple_statements
SELECT 1; DELETE FROM orders
