-- stored procedures can write
CALL do_something()
