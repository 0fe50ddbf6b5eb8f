-- id: stacked_delete
-- class: stacked statements
SELECT 1; DELETE FROM customers

-- id: stacked_commit_drop
-- class: stacked statements
SELECT 1; COMMIT; DROP TABLE customers

-- id: stacked_after_string_with_semicolon
-- class: stacked statements
SELECT 'a;b'; UPDATE customers SET ssn = NULL

-- id: stacked_after_block_comment_with_semicolon
-- class: stacked statements
SELECT 1 /* ; */; TRUNCATE orders

-- id: stacked_after_dollar_quote
-- class: stacked statements
SELECT $$;$$; DELETE FROM orders

-- id: stacked_after_line_comment
-- class: stacked statements
SELECT 1;
-- the rest looks like a comment to a naive splitter
DELETE FROM orders

-- id: stacked_between_empty_statements
-- class: stacked statements
;;SELECT 1;DELETE FROM orders;;

-- id: stacked_after_backslash_in_standard_string
-- class: stacked statements
SELECT '\'; DELETE FROM orders; --'

-- id: stacked_set_transaction_read_write
-- class: stacked statements
SELECT 1; SET TRANSACTION READ WRITE; DELETE FROM orders

-- id: nested_block_comment_hides_semicolon
-- class: comment and quoting tricks
/* outer /* nested */ ; DELETE FROM orders */ SELECT 1; DELETE FROM orders

-- id: line_comment_then_statement
-- class: comment and quoting tricks
SELECT 1 --
; DELETE FROM orders

-- id: quoted_identifiers_then_delete
-- class: comment and quoting tricks
SELECT "customers".* FROM "customers"; DELETE FROM "orders"

-- id: unicode_escape_string_then_delete
-- class: comment and quoting tricks
SELECT U&'\0041'; DELETE FROM orders

-- id: mixed_case_keywords
-- class: comment and quoting tricks
sElEcT 1; dElEtE fRoM orders

-- id: tagged_dollar_quote_then_drop
-- class: comment and quoting tricks
SELECT $tag$ $$ ; $tag$; DROP TABLE orders

-- id: quoted_function_name
-- class: comment and quoting tricks
SELECT "pg_read_file"('/etc/passwd')

-- id: comment_between_function_and_paren
-- class: comment and quoting tricks
SELECT pg_sleep /* harmless? */ (5)

-- id: commit
-- class: transaction control
COMMIT

-- id: rollback
-- class: transaction control
ROLLBACK

-- id: begin_read_write
-- class: transaction control
BEGIN READ WRITE

-- id: start_transaction
-- class: transaction control
START TRANSACTION ISOLATION LEVEL SERIALIZABLE

-- id: set_transaction_read_write
-- class: transaction control
SET TRANSACTION READ WRITE

-- id: savepoint
-- class: transaction control
SAVEPOINT s1

-- id: prepare_transaction
-- class: transaction control
PREPARE TRANSACTION 'conexor'

-- id: end
-- class: transaction control
END

-- id: cte_delete
-- class: data-modifying CTE
WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d

-- id: cte_update
-- class: data-modifying CTE
WITH u AS (UPDATE customers SET ssn = 'x' RETURNING id) SELECT * FROM u

-- id: cte_insert
-- class: data-modifying CTE
WITH i AS (INSERT INTO audit_log (note) VALUES ('x') RETURNING id) SELECT * FROM i

-- id: cte_insert_unreferenced
-- class: data-modifying CTE
WITH a AS (SELECT 1), b AS (INSERT INTO audit_log (note) VALUES ('x') RETURNING id) SELECT * FROM a

-- id: cte_delete_in_subquery
-- class: data-modifying CTE
SELECT * FROM (WITH d AS (DELETE FROM orders RETURNING id) SELECT id FROM d) AS x

-- id: cte_delete_in_exists
-- class: data-modifying CTE
SELECT 1 WHERE EXISTS (WITH d AS (DELETE FROM orders RETURNING id) SELECT 1 FROM d)

-- id: cte_update_in_recursive_with
-- class: data-modifying CTE
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3), u AS (UPDATE orders SET total = 0 RETURNING id) SELECT * FROM r

-- id: select_into_table
-- class: INTO
SELECT * INTO stolen FROM customers

-- id: select_into_temp
-- class: INTO
SELECT * INTO TEMP stolen FROM customers

-- id: select_into_unlogged
-- class: INTO
SELECT id INTO UNLOGGED TABLE stolen FROM customers

-- id: create_table_as
-- class: INTO
CREATE TABLE stolen AS SELECT * FROM customers

-- id: for_update
-- class: locks
SELECT * FROM customers FOR UPDATE

-- id: for_no_key_update
-- class: locks
SELECT * FROM customers FOR NO KEY UPDATE

-- id: for_share_nowait
-- class: locks
SELECT * FROM customers FOR SHARE NOWAIT

-- id: for_key_share_skip_locked
-- class: locks
SELECT * FROM orders FOR KEY SHARE SKIP LOCKED

-- id: for_update_of_in_join
-- class: locks
SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id FOR UPDATE OF c

-- id: for_update_in_subquery
-- class: locks
SELECT * FROM (SELECT id FROM customers FOR UPDATE) AS s

-- id: for_update_in_cte
-- class: locks
WITH locked AS (SELECT id FROM orders FOR UPDATE) SELECT count(*) FROM locked

-- id: lock_table_access_exclusive
-- class: locks
LOCK TABLE customers IN ACCESS EXCLUSIVE MODE

-- id: nextval
-- class: sequences
SELECT nextval('invoice_seq')

-- id: setval
-- class: sequences
SELECT setval('invoice_seq', 1000)

-- id: nextval_per_row
-- class: sequences
SELECT id, nextval('orders_id_seq') FROM customers

-- id: currval
-- class: sequences
SELECT currval('invoice_seq')

-- id: alter_sequence_restart
-- class: sequences
ALTER SEQUENCE invoice_seq RESTART WITH 1

-- id: advisory_lock
-- class: advisory locks
SELECT pg_advisory_lock(42)

-- id: try_advisory_lock
-- class: advisory locks
SELECT pg_try_advisory_lock(42)

-- id: advisory_xact_lock_in_where
-- class: advisory locks
SELECT id FROM customers WHERE pg_advisory_xact_lock(id) IS NULL

-- id: advisory_lock_shared
-- class: advisory locks
SELECT pg_advisory_lock_shared(1, 2)

-- id: advisory_unlock_all
-- class: advisory locks
SELECT pg_advisory_unlock_all()

-- id: read_file
-- class: files, programs and large objects
SELECT pg_read_file('/etc/passwd')

-- id: read_file_in_from
-- class: files, programs and large objects
SELECT * FROM pg_read_file('/etc/passwd') AS f(line)

-- id: read_binary_file
-- class: files, programs and large objects
SELECT pg_read_binary_file('postgresql.conf')

-- id: read_file_qualified
-- class: files, programs and large objects
SELECT pg_catalog.pg_read_file('postmaster.pid')

-- id: ls_dir_lateral
-- class: files, programs and large objects
SELECT c.id, d FROM customers c, LATERAL pg_ls_dir('.') AS d

-- id: stat_file_in_where
-- class: files, programs and large objects
SELECT id FROM customers WHERE (pg_stat_file('postgresql.conf')).size > 0

-- id: read_file_in_order_by
-- class: files, programs and large objects
SELECT id FROM customers ORDER BY pg_read_file('/etc/hostname')

-- id: read_file_in_case
-- class: files, programs and large objects
SELECT CASE WHEN false THEN pg_read_file('/etc/passwd') END

-- id: read_file_in_window
-- class: files, programs and large objects
SELECT row_number() OVER (PARTITION BY pg_read_file('/etc/hostname')) FROM customers

-- id: ls_logdir
-- class: files, programs and large objects
SELECT * FROM pg_ls_logdir()

-- id: lo_import
-- class: files, programs and large objects
SELECT lo_import('/etc/passwd')

-- id: lo_export
-- class: files, programs and large objects
SELECT lo_export(oid, '/tmp/conexor_exported') FROM pg_largeobject_metadata

-- id: lo_create
-- class: files, programs and large objects
SELECT lo_create(0)

-- id: lo_from_bytea
-- class: files, programs and large objects
SELECT lo_from_bytea(0, 'data')

-- id: lo_put
-- class: files, programs and large objects
SELECT lo_put(oid, 0, 'x') FROM pg_largeobject_metadata

-- id: lo_unlink
-- class: files, programs and large objects
SELECT lo_unlink(oid) FROM pg_largeobject_metadata

-- id: copy_to_file
-- class: files, programs and large objects
COPY customers TO '/tmp/conexor_customers.csv'

-- id: copy_to_program
-- class: files, programs and large objects
COPY (SELECT 1) TO PROGRAM 'id'

-- id: copy_from_stdin
-- class: files, programs and large objects
COPY audit_log (note) FROM STDIN

-- id: terminate_backend
-- class: backend signalling
SELECT pg_terminate_backend(pid) FROM pg_stat_activity

-- id: cancel_backend
-- class: backend signalling
SELECT pg_cancel_backend(pg_backend_pid())

-- id: reload_conf
-- class: backend signalling
SELECT pg_reload_conf()

-- id: rotate_logfile
-- class: backend signalling
SELECT pg_rotate_logfile()

-- id: set_statement_timeout
-- class: config changes
SET statement_timeout = 0

-- id: set_local
-- class: config changes
SET LOCAL statement_timeout = 0

-- id: set_config_function
-- class: config changes
SELECT set_config('statement_timeout', '0', false)

-- id: set_config_in_subquery
-- class: config changes
SELECT * FROM customers WHERE id > (SELECT length(set_config('work_mem', '1GB', false)))

-- id: reset_all
-- class: config changes
RESET ALL

-- id: alter_system
-- class: config changes
ALTER SYSTEM SET log_statement = 'none'

-- id: alter_database_set
-- class: config changes
ALTER DATABASE current_database SET default_transaction_read_only = off

-- id: set_role
-- class: config changes
SET ROLE postgres

-- id: set_session_authorization
-- class: config changes
SET SESSION AUTHORIZATION DEFAULT

-- id: do_block
-- class: DO, CALL, PREPARE, EXECUTE
DO $$ BEGIN DELETE FROM orders; END $$

-- id: call
-- class: DO, CALL, PREPARE, EXECUTE
CALL some_procedure()

-- id: prepare
-- class: DO, CALL, PREPARE, EXECUTE
PREPARE p AS DELETE FROM orders

-- id: execute
-- class: DO, CALL, PREPARE, EXECUTE
EXECUTE p

-- id: deallocate
-- class: DO, CALL, PREPARE, EXECUTE
DEALLOCATE ALL

-- id: listen
-- class: LISTEN and NOTIFY
LISTEN conexor

-- id: notify
-- class: LISTEN and NOTIFY
NOTIFY conexor, 'hello'

-- id: unlisten
-- class: LISTEN and NOTIFY
UNLISTEN *

-- id: pg_notify_function
-- class: LISTEN and NOTIFY
SELECT pg_notify('conexor', 'hello')

-- id: vacuum
-- class: maintenance
VACUUM customers

-- id: analyze
-- class: maintenance
ANALYZE customers

-- id: reindex
-- class: maintenance
REINDEX TABLE customers

-- id: cluster
-- class: maintenance
CLUSTER customers USING customers_pkey

-- id: checkpoint
-- class: maintenance
CHECKPOINT

-- id: refresh_materialized_view
-- class: maintenance
REFRESH MATERIALIZED VIEW some_view

-- id: explain_analyze
-- class: maintenance
EXPLAIN ANALYZE SELECT * FROM customers

-- id: explain_analyze_create_table_as
-- class: maintenance
EXPLAIN (ANALYZE) CREATE TABLE stolen AS SELECT * FROM customers

-- id: explain_analyze_select_into
-- class: maintenance
EXPLAIN ANALYZE SELECT * INTO stolen FROM customers

-- id: explain_delete
-- class: maintenance
EXPLAIN DELETE FROM orders

-- id: create_temp_table
-- class: temp objects
CREATE TEMP TABLE t (id int)

-- id: create_temp_view
-- class: temp objects
CREATE TEMP VIEW v AS SELECT * FROM customers

-- id: create_temp_sequence
-- class: temp objects
CREATE TEMPORARY SEQUENCE s

-- id: declare_with_hold
-- class: cursors
DECLARE c CURSOR WITH HOLD FOR SELECT * FROM customers

-- id: fetch
-- class: cursors
FETCH ALL FROM c

-- id: close
-- class: cursors
CLOSE ALL

-- id: move
-- class: cursors
MOVE FORWARD 5 IN c

-- id: sleep
-- class: resource exhaustion
SELECT pg_sleep(3600)

-- id: sleep_for
-- class: resource exhaustion
SELECT pg_sleep_for('1 hour')

-- id: sleep_per_row
-- class: resource exhaustion
SELECT pg_sleep(1) FROM generate_series(1, 100000)

-- id: sleep_until
-- class: resource exhaustion
SELECT pg_sleep_until('2100-01-01')

-- id: replication_slot
-- class: resource exhaustion
SELECT pg_create_logical_replication_slot('conexor_slot', 'test_decoding')

-- id: physical_replication_slot
-- class: resource exhaustion
SELECT * FROM pg_create_physical_replication_slot('conexor_slot')

-- id: logical_emit_message
-- class: resource exhaustion
SELECT pg_logical_emit_message(true, 'conexor', 'x')

-- id: txid_current
-- class: resource exhaustion
SELECT txid_current()

-- id: query_to_xml_runs_sql_text
-- class: user-defined and SQL-running functions
SELECT query_to_xml('DELETE FROM orders RETURNING id', true, true, '')

-- id: table_to_xml_reads_whole_table
-- class: user-defined and SQL-running functions
SELECT table_to_xml('customers', true, true, '')

-- id: ts_stat_runs_sql_text
-- class: user-defined and SQL-running functions
SELECT * FROM ts_stat('SELECT to_tsvector(name) FROM customers')

-- id: ts_rewrite_runs_sql_text
-- class: user-defined and SQL-running functions
SELECT ts_rewrite('a & b'::tsquery, 'SELECT t, s FROM aliases')

-- id: user_function
-- class: user-defined and SQL-running functions
SELECT evil_write()

-- id: user_function_qualified
-- class: user-defined and SQL-running functions
SELECT public.evil_write()

-- id: user_function_in_from
-- class: user-defined and SQL-running functions
SELECT * FROM evil_write()

-- id: user_function_in_where
-- class: user-defined and SQL-running functions
SELECT id FROM customers WHERE evil_write() > 0

-- id: user_function_in_order_by
-- class: user-defined and SQL-running functions
SELECT id FROM customers ORDER BY evil_write()

-- id: user_function_in_aggregate_filter
-- class: user-defined and SQL-running functions
SELECT count(*) FILTER (WHERE evil_write() > 0) FROM customers

-- id: user_function_attribute_notation
-- class: user-defined and SQL-running functions
-- rule: deny.function_not_allowed
-- needs: snapshot
SELECT c.audit_row FROM customers c

-- id: user_function_shadows_builtin
-- class: user-defined and SQL-running functions
-- rule: deny.function_shadowed
-- needs: server
SELECT initcap(5)

-- id: domain_check_calls_function
-- class: user-defined and SQL-running functions
-- rule: deny.type_not_allowed
-- needs: server
SELECT 1::evil_domain

-- id: user_operator
-- class: user-defined and SQL-running functions
SELECT 1 ### 2

-- id: qualified_user_operator
-- class: user-defined and SQL-running functions
SELECT 1 OPERATOR(public.###) 2

-- id: dblink
-- class: user-defined and SQL-running functions
SELECT * FROM dblink('dbname=test', 'DELETE FROM orders') AS t(x text)

-- id: tablesample_extension_method
-- class: user-defined and SQL-running functions
SELECT * FROM customers TABLESAMPLE evil_method (10)

-- id: insert
-- class: writes and DDL
INSERT INTO audit_log (note) VALUES ('x')

-- id: update
-- class: writes and DDL
UPDATE customers SET ssn = NULL

-- id: delete
-- class: writes and DDL
DELETE FROM orders WHERE id > 0

-- id: merge
-- class: writes and DDL
MERGE INTO orders o USING customers c ON o.customer_id = c.id WHEN MATCHED THEN DELETE

-- id: truncate
-- class: writes and DDL
TRUNCATE orders CASCADE

-- id: drop_table
-- class: writes and DDL
DROP TABLE customers CASCADE

-- id: alter_table
-- class: writes and DDL
ALTER TABLE customers DROP COLUMN ssn

-- id: create_function
-- class: writes and DDL
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'

-- id: create_extension
-- class: writes and DDL
CREATE EXTENSION IF NOT EXISTS dblink

-- id: grant
-- class: writes and DDL
GRANT ALL ON customers TO PUBLIC

-- id: create_role
-- class: writes and DDL
CREATE ROLE intruder SUPERUSER LOGIN

-- id: comment_on
-- class: writes and DDL
COMMENT ON TABLE customers IS 'pwned'

-- id: empty
-- class: empty input
-- rule: deny.empty
   

-- id: only_semicolons
-- class: empty input
-- rule: deny.empty
;;;

-- id: only_comment
-- class: empty input
-- rule: deny.empty
-- nothing here
