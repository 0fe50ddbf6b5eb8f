-- COPY TO PROGRAM runs a shell command
-- rule: deny.not_read_only
COPY (SELECT 1) TO PROGRAM 'id'
