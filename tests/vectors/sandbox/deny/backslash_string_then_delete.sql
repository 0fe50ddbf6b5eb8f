-- 'a\\' is a complete string in every dialect, so the DELETE after it is a second statement
-- rule: deny.multiple_statements
SELECT 'a\\'; DELETE FROM orders; -- '
