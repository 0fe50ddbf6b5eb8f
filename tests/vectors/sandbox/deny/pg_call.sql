-- CALL runs a procedure that can write
-- rule: deny.not_read_only
CALL do_something()
