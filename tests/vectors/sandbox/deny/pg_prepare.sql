-- PREPARE hides a statement for later
-- rule: deny.not_read_only
PREPARE p AS DELETE FROM orders
