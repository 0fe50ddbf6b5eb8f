-- SELECT ... INTO @var writes a session variable
-- rule: deny.select_into
SELECT 1 INTO @x
