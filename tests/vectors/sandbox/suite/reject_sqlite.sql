-- id: stacked_delete
-- class: stacked statements
SELECT 1; DELETE FROM orders

-- id: stacked_after_string
-- class: stacked statements
SELECT 'a;b'; UPDATE customers SET ssn = NULL

-- id: stacked_after_comment
-- class: stacked statements
SELECT 1 /* ; */; DROP TABLE orders

-- id: stacked_after_line_comment
-- class: comment and quoting tricks
SELECT 1 --
; DELETE FROM orders

-- id: quoted_function_name
-- class: comment and quoting tricks
SELECT "load_extension"('/tmp/evil')

-- id: bracket_quoted_table_then_delete
-- class: comment and quoting tricks
SELECT * FROM [orders]; DELETE FROM [orders]

-- id: begin
-- class: transaction control
BEGIN IMMEDIATE

-- id: commit
-- class: transaction control
COMMIT

-- id: savepoint
-- class: transaction control
SAVEPOINT s1

-- id: cte_delete
-- class: data-modifying CTE
WITH d AS (DELETE FROM orders RETURNING id) SELECT * FROM d

-- id: cte_then_insert
-- class: data-modifying CTE
WITH x AS (SELECT 1 AS n) INSERT INTO audit_log (note) SELECT 'x' FROM x

-- id: select_into
-- class: INTO
SELECT * INTO stolen FROM customers

-- id: create_table_as
-- class: INTO
CREATE TABLE stolen AS SELECT * FROM customers

-- id: for_update
-- class: locks
SELECT * FROM orders FOR UPDATE

-- id: begin_exclusive
-- class: locks
BEGIN EXCLUSIVE TRANSACTION

-- id: sqlite_sequence_update
-- class: sequences
UPDATE sqlite_sequence SET seq = 0

-- id: load_extension
-- class: files, programs and large objects
SELECT load_extension('/tmp/evil.so')

-- id: readfile
-- class: files, programs and large objects
SELECT readfile('/etc/passwd')

-- id: writefile
-- class: files, programs and large objects
SELECT writefile('/tmp/conexor_out', ssn) FROM customers

-- id: attach
-- class: files, programs and large objects
ATTACH DATABASE '/tmp/conexor_other.db' AS other

-- id: vacuum_into
-- class: files, programs and large objects
VACUUM INTO '/tmp/conexor_copy.db'

-- id: pragma_writable_schema
-- class: config changes
PRAGMA writable_schema = ON

-- id: pragma_query_only_off
-- class: config changes
PRAGMA query_only = OFF

-- id: pragma_journal_mode
-- class: config changes
PRAGMA journal_mode = DELETE

-- id: pragma_function_with_side_effects
-- class: config changes
SELECT * FROM pragma_optimize()

-- id: vacuum
-- class: maintenance
VACUUM

-- id: analyze
-- class: maintenance
ANALYZE

-- id: reindex
-- class: maintenance
REINDEX orders

-- id: explain_analyze_like
-- class: maintenance
EXPLAIN DELETE FROM orders

-- id: create_temp_table
-- class: temp objects
CREATE TEMP TABLE t (id INTEGER)

-- id: create_temp_trigger
-- class: temp objects
CREATE TEMP TRIGGER t AFTER INSERT ON orders BEGIN DELETE FROM orders; END

-- id: zeroblob
-- class: resource exhaustion
SELECT zeroblob(1000000000)

-- id: randomblob
-- class: resource exhaustion
SELECT randomblob(1000000000)

-- id: unknown_function
-- class: user-defined and SQL-running functions
SELECT evil_write()

-- id: fts3_tokenizer
-- class: user-defined and SQL-running functions
SELECT fts3_tokenizer('simple')

-- id: unknown_function_in_where
-- class: user-defined and SQL-running functions
SELECT id FROM orders WHERE sqlite_dbpage_write(1) = 0

-- id: insert
-- class: writes and DDL
INSERT INTO audit_log (note) VALUES ('x')

-- id: insert_or_replace
-- class: writes and DDL
INSERT OR REPLACE INTO audit_log (id, note) VALUES (1, 'x')

-- id: replace
-- class: writes and DDL
REPLACE INTO audit_log (id, note) VALUES (1, 'x')

-- id: update
-- class: writes and DDL
UPDATE customers SET ssn = NULL

-- id: delete_fires_trigger
-- class: writes and DDL
DELETE FROM orders

-- id: drop_table
-- class: writes and DDL
DROP TABLE orders

-- id: alter_table
-- class: writes and DDL
ALTER TABLE customers DROP COLUMN ssn

-- id: create_view
-- class: writes and DDL
CREATE VIEW v AS SELECT 1

-- id: detach
-- class: writes and DDL
DETACH DATABASE main

-- id: empty
-- class: empty input
-- rule: deny.empty
;
