-- in MySQL --1 is minus minus one, not a comment
SELECT 1 --1
