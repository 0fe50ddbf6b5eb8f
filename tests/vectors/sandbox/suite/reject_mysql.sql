-- id: stacked_delete
-- class: stacked statements
SELECT 1; DELETE FROM orders

-- id: stacked_after_string
-- class: stacked statements
SELECT 'a;b'; UPDATE customers SET ssn = NULL

-- id: stacked_after_backslash_escape
-- class: stacked statements
SELECT 'it\'s'; DELETE FROM orders

-- id: stacked_after_hash_comment
-- class: stacked statements
SELECT 1 # comment
; DROP TABLE orders

-- id: executable_comment
-- class: comment and quoting tricks
SELECT 1 /*! ; DELETE FROM orders */

-- id: versioned_executable_comment
-- class: comment and quoting tricks
SELECT 1 /*!50000 , (SELECT evil_write()) */

-- id: mariadb_executable_comment
-- class: comment and quoting tricks
SELECT 1 /*M! , SLEEP(10) */

-- id: optimizer_hint_lifts_timeout
-- class: comment and quoting tricks
SELECT /*+ MAX_EXECUTION_TIME(0) */ COUNT(*) FROM orders

-- id: double_dash_without_space
-- class: comment and quoting tricks
SELECT 1 --1; DELETE FROM orders

-- id: backtick_quoted_function
-- class: comment and quoting tricks
SELECT `evil_write`()

-- id: start_transaction
-- class: transaction control
START TRANSACTION READ WRITE

-- id: commit
-- class: transaction control
COMMIT

-- id: set_transaction_read_write
-- class: transaction control
SET SESSION TRANSACTION READ WRITE

-- id: xa_start
-- class: transaction control
XA START 'conexor'

-- id: cte_delete
-- class: data-modifying CTE
WITH d AS (DELETE FROM orders RETURNING id) SELECT * FROM d

-- id: select_into_outfile
-- class: INTO
SELECT * FROM customers INTO OUTFILE '/tmp/conexor_customers.txt'

-- id: select_into_dumpfile
-- class: INTO
SELECT ssn FROM customers LIMIT 1 INTO DUMPFILE '/tmp/conexor_ssn'

-- id: select_into_variable
-- class: INTO
SELECT COUNT(*) INTO @n FROM orders

-- id: create_table_select
-- class: INTO
CREATE TABLE stolen AS SELECT * FROM customers

-- id: for_update
-- class: locks
SELECT * FROM orders FOR UPDATE

-- id: lock_in_share_mode
-- class: locks
SELECT * FROM orders LOCK IN SHARE MODE

-- id: for_update_in_subquery
-- class: locks
SELECT * FROM (SELECT id FROM orders FOR UPDATE) AS x

-- id: lock_tables
-- class: locks
LOCK TABLES orders WRITE

-- id: nextval
-- class: sequences
SELECT NEXTVAL(invoice_seq)

-- id: next_value_for
-- class: sequences
SELECT NEXT VALUE FOR invoice_seq

-- id: setval
-- class: sequences
SELECT SETVAL(invoice_seq, 1000)

-- id: last_insert_id_with_argument
-- class: sequences
SELECT LAST_INSERT_ID(42)

-- id: get_lock
-- class: advisory locks
SELECT GET_LOCK('conexor', 10)

-- id: release_all_locks
-- class: advisory locks
SELECT RELEASE_ALL_LOCKS()

-- id: load_file
-- class: files, programs and large objects
SELECT LOAD_FILE('/etc/passwd')

-- id: load_data
-- class: files, programs and large objects
LOAD DATA INFILE '/etc/passwd' INTO TABLE audit_log

-- id: kill
-- class: backend signalling
KILL CONNECTION 1

-- id: shutdown
-- class: backend signalling
SHUTDOWN

-- id: set_global
-- class: config changes
SET GLOBAL max_statement_time = 0

-- id: set_statement
-- class: config changes
SET STATEMENT max_statement_time = 0 FOR SELECT SLEEP(100)

-- id: user_variable_assignment
-- class: config changes
SELECT @total := SUM(total) FROM orders

-- id: set_names
-- class: config changes
SET NAMES latin1

-- id: call
-- class: DO, CALL, PREPARE, EXECUTE
CALL evil_proc()

-- id: do
-- class: DO, CALL, PREPARE, EXECUTE
DO evil_write()

-- id: prepare
-- class: DO, CALL, PREPARE, EXECUTE
PREPARE s FROM 'DELETE FROM orders'

-- id: execute
-- class: DO, CALL, PREPARE, EXECUTE
EXECUTE s

-- id: handler
-- class: DO, CALL, PREPARE, EXECUTE
HANDLER orders OPEN

-- id: optimize
-- class: maintenance
OPTIMIZE TABLE orders

-- id: analyze
-- class: maintenance
ANALYZE TABLE orders

-- id: flush
-- class: maintenance
FLUSH TABLES WITH READ LOCK

-- id: create_temporary_table
-- class: temp objects
CREATE TEMPORARY TABLE t (id int)

-- id: sleep
-- class: resource exhaustion
SELECT SLEEP(3600)

-- id: benchmark
-- class: resource exhaustion
SELECT BENCHMARK(100000000000, MD5('x'))

-- id: sleep_in_where
-- class: resource exhaustion
SELECT id FROM orders WHERE SLEEP(1) = 0

-- id: user_function
-- class: user-defined and SQL-running functions
SELECT evil_write()

-- id: user_function_qualified
-- class: user-defined and SQL-running functions
SELECT test.evil_write()

-- id: user_function_in_where
-- class: user-defined and SQL-running functions
SELECT id FROM orders WHERE evil_write() = 1

-- id: user_function_in_order_by
-- class: user-defined and SQL-running functions
SELECT id FROM orders ORDER BY evil_write()

-- id: user_function_in_subquery
-- class: user-defined and SQL-running functions
SELECT * FROM (SELECT evil_write() AS x) AS t

-- id: insert
-- class: writes and DDL
INSERT INTO audit_log (note) VALUES ('x')

-- id: replace
-- class: writes and DDL
REPLACE INTO audit_log (id, note) VALUES (1, 'x')

-- id: update
-- class: writes and DDL
UPDATE customers SET ssn = NULL

-- id: delete_multi_table
-- class: writes and DDL
DELETE o FROM orders o JOIN customers c ON c.id = o.customer_id

-- id: truncate
-- class: writes and DDL
TRUNCATE TABLE orders

-- id: drop_table
-- class: writes and DDL
DROP TABLE orders

-- id: grant
-- class: writes and DDL
GRANT ALL ON *.* TO 'intruder'@'%'

-- id: rename_table
-- class: writes and DDL
RENAME TABLE orders TO gone

-- id: show_grants
-- class: writes and DDL
SHOW GRANTS

-- id: empty
-- class: empty input
-- rule: deny.empty
;
