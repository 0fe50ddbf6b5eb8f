-- SQLite EXPLAIN is not supported by the validator
EXPLAIN QUERY PLAN SELECT 1
