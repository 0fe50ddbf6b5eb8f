-- GRANT changes privileges
-- rule: deny.not_read_only
GRANT ALL ON orders TO PUBLIC
