-- a dollar-quoted string may contain a semicolon and DML
SELECT $$; DELETE FROM orders$$ AS s
