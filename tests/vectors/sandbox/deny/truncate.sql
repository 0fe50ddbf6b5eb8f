-- truncates a table
TRUNCATE TABLE orders
