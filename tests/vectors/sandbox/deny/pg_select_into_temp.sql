-- SELECT ... INTO TEMP creates a table
-- rule: deny.select_into
SELECT * INTO TEMP tmp_orders FROM orders
