-- LOCK TABLE blocks other sessions
-- rule: deny.not_read_only
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE
