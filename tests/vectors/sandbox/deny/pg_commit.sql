-- transaction control would end the read-only transaction
-- rule: deny.not_read_only
COMMIT
