-- REPLACE writes
-- rule: deny.not_read_only
REPLACE INTO orders (id) VALUES (1)
