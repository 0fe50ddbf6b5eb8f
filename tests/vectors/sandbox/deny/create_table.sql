-- DDL is not a read
-- rule: deny.not_read_only
CREATE TABLE x (a INT)
