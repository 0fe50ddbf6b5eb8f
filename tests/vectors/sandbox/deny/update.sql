-- a plain UPDATE is not a read
-- rule: deny.not_read_only
UPDATE orders SET total = 0
