-- a plain INSERT is not a read
-- rule: deny.not_read_only
INSERT INTO orders (id) VALUES (1)
