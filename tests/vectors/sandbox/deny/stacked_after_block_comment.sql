-- a semicolon inside a block comment does not hide the real one
-- rule: deny.multiple_statements
SELECT 1 /* ; */; DELETE FROM orders
