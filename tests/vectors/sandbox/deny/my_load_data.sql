-- reads a server file into a table
LOAD DATA INFILE '/etc/passwd' INTO TABLE orders
