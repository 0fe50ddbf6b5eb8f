-- ATTACH opens (and can create) another database file
-- rule: deny.not_read_only
ATTACH DATABASE '/tmp/other.db' AS other
