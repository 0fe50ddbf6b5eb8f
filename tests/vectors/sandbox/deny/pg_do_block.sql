-- DO runs procedural code
-- rule: deny.not_read_only
DO $$ BEGIN DELETE FROM orders; END $$
