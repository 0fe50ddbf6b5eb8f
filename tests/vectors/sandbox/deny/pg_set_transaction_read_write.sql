-- the read-only transaction must not be switched off
-- rule: deny.not_read_only
SET TRANSACTION READ WRITE
