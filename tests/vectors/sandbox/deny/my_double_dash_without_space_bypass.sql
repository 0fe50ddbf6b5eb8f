-- in MySQL --1 is not a comment, so the DELETE after it is a second statement
-- rule: deny.multiple_statements
SELECT 1 --1; DELETE FROM orders
