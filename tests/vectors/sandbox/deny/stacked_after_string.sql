-- a statement stacked after a closed string literal is seen
-- rule: deny.multiple_statements
SELECT 'x'; DROP TABLE orders; -- '
