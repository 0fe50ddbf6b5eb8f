-- a semicolon and a keyword inside a string literal are data, not statements
SELECT 'a; DELETE FROM orders' AS s
