-- the smallest read-only query
SELECT 1
