-- SELECT ... INTO creates a table
-- rule: deny.select_into
SELECT * INTO copy_of_orders FROM orders
