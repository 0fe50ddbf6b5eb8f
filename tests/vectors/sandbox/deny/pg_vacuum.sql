-- VACUUM is maintenance, not a read
-- rule: deny.not_read_only
VACUUM FULL orders
