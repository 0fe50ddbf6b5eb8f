-- SET changes the session
-- rule: deny.not_read_only
SET ROLE postgres
