-- writes a file on the server; must never parse as allowed
SELECT * INTO OUTFILE '/tmp/orders.csv' FROM orders
