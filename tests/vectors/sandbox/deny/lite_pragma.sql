-- PRAGMA changes connection settings
-- rule: deny.not_read_only
PRAGMA query_only = OFF
