"""A small analytics database per dialect, and fingerprints of everything a query could change.

The same logical schema everywhere: ``customers`` (with an ``ssn`` column a
policy can deny, ``tags`` and a JSON ``profile``), ``products``, ``orders``,
``order_items``, ``events`` (columns named like keywords), ``audit_log`` (what
the hostile functions write to), a view, a sequence and, where the dialect has
them, user-defined functions that write, a shadowing function, a domain whose
CHECK writes, a user operator and a large object.

A fingerprint is a value: take one before and one after a query and compare.
It covers row counts and checksums of every table, sequences, relations,
functions, roles, settings, locks, large objects, replication slots, prepared
transactions and busy sessions (PostgreSQL); tables, checksums, sequences,
routines, triggers, grants, global settings and busy sessions (MariaDB); and
the file bytes plus any journal (SQLite).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pymysql

PG_SCHEMA = r"""
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, ssn text,
  country char(2), created_at timestamptz NOT NULL, tags text[], profile jsonb);
CREATE TABLE products (id serial PRIMARY KEY, name text, category text, price numeric(10, 2));
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, status text,
  total numeric(12, 2), created_at timestamptz);
CREATE TABLE order_items (order_id int REFERENCES orders, product_id int REFERENCES products,
  quantity int, unit_price numeric(10, 2));
CREATE TABLE events (id serial PRIMARY KEY, "user" text, "select" int, "group" text,
  "order" int, "desc" text, ts timestamptz);
CREATE TABLE audit_log (id serial PRIMARY KEY, note text);
CREATE SCHEMA sales;
CREATE TABLE sales.targets (region text, quarter int, amount numeric);
CREATE SEQUENCE invoice_seq;
CREATE VIEW customer_totals AS SELECT c.id, c.name, sum(o.total) AS total
  FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name;
INSERT INTO customers (name, email, ssn, country, created_at, tags, profile)
  SELECT 'Customer ' || g, 'cust' || g || '@example.com', lpad(g::text, 9, '0'),
    (ARRAY['NL', 'DE', 'US'])[1 + g % 3], timestamptz '2024-01-01' + g * interval '1 day',
    CASE WHEN g % 4 = 0 THEN ARRAY['vip'] WHEN g % 5 = 0 THEN ARRAY['beta', 'x'] END,
    jsonb_build_object('plan', CASE WHEN g % 2 = 0 THEN 'pro' ELSE 'free' END,
      'active', g % 3 <> 0, 'limits', jsonb_build_object('seats', g % 10))
  FROM generate_series(1, 30) g;
INSERT INTO products (name, category, price)
  SELECT 'Product ' || g, (ARRAY['books', 'games', 'tools'])[1 + g % 3], g * 3.5
  FROM generate_series(1, 10) g;
INSERT INTO orders (customer_id, status, total, created_at)
  SELECT 1 + g % 30, (ARRAY['paid', 'shipped', 'refunded'])[1 + g % 3], g * 2.75,
    timestamptz '2024-01-01' + g * interval '13 hours'
  FROM generate_series(1, 100) g;
INSERT INTO order_items SELECT 1 + g % 100, 1 + g % 10, 1 + g % 4, 3.5 * (1 + g % 10)
  FROM generate_series(1, 250) g;
INSERT INTO events ("user", "select", "group", "order", "desc", ts)
  SELECT 'u' || g, g, 'g' || g % 3, 20 - g, 'd', timestamptz '2024-02-01' + g * interval '1 hour'
  FROM generate_series(1, 20) g;
INSERT INTO sales.targets VALUES ('emea', 1, 1000), ('amer', 1, 2000);
CREATE FUNCTION evil_write() RETURNS int LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO audit_log (note) VALUES ('pwned'); RETURN 1; END $$;
CREATE FUNCTION audit_row(customers) RETURNS int LANGUAGE sql AS 'SELECT evil_write()';
CREATE FUNCTION public.initcap(integer) RETURNS int LANGUAGE sql AS 'SELECT evil_write()';
CREATE FUNCTION evil_op(int, int) RETURNS int LANGUAGE sql AS 'SELECT evil_write()';
CREATE OPERATOR ### (LEFTARG = int, RIGHTARG = int, FUNCTION = evil_op);
CREATE DOMAIN evil_domain AS int CHECK (evil_write() > 0);
SELECT lo_from_bytea(0, 'a large object');
ANALYZE;
"""

MARIADB_SCHEMA = [
    "CREATE TABLE customers (id int PRIMARY KEY, name varchar(50) NOT NULL, email varchar(80),"
    " ssn char(9), country char(2), created_at datetime NOT NULL, tags varchar(50), profile json)",
    "CREATE TABLE products (id int PRIMARY KEY, name varchar(50), category varchar(20),"
    " price decimal(10, 2))",
    "CREATE TABLE orders (id int PRIMARY KEY AUTO_INCREMENT, customer_id int, status varchar(20),"
    " total decimal(12, 2), created_at datetime, KEY (customer_id))",
    "CREATE TABLE order_items (order_id int, product_id int, quantity int,"
    " unit_price decimal(10, 2))",
    "CREATE TABLE events (id int PRIMARY KEY, `user` varchar(20), `select` int,"
    " `group` varchar(20), `order` int, `desc` varchar(20), ts datetime)",
    "CREATE TABLE audit_log (id int PRIMARY KEY AUTO_INCREMENT, note varchar(50))",
    "CREATE SEQUENCE invoice_seq",
    "CREATE VIEW customer_totals AS SELECT c.id, c.name, SUM(o.total) AS total"
    " FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name",
    "INSERT INTO customers SELECT seq, CONCAT('Customer ', seq), CONCAT('cust', seq,"
    " '@example.com'), LPAD(seq, 9, '0'), ELT(1 + seq % 3, 'NL', 'DE', 'US'),"
    " '2024-01-01' + INTERVAL seq DAY, IF(seq % 4 = 0, 'vip', NULL),"
    " JSON_OBJECT('plan', IF(seq % 2 = 0, 'pro', 'free'), 'seats', seq % 10)"
    " FROM seq_1_to_30",
    "INSERT INTO products SELECT seq, CONCAT('Product ', seq), ELT(1 + seq % 3, 'books',"
    " 'games', 'tools'), seq * 3.5 FROM seq_1_to_10",
    "INSERT INTO orders SELECT seq, 1 + seq % 30, ELT(1 + seq % 3, 'paid', 'shipped',"
    " 'refunded'), seq * 2.75, '2024-01-01' + INTERVAL seq * 13 HOUR FROM seq_1_to_100",
    "INSERT INTO order_items SELECT 1 + seq % 100, 1 + seq % 10, 1 + seq % 4,"
    " 3.5 * (1 + seq % 10) FROM seq_1_to_250",
    "INSERT INTO events SELECT seq, CONCAT('u', seq), seq, CONCAT('g', seq % 3), 20 - seq, 'd',"
    " '2024-02-01' + INTERVAL seq HOUR FROM seq_1_to_20",
    "CREATE FUNCTION evil_write() RETURNS int MODIFIES SQL DATA"
    " BEGIN INSERT INTO audit_log (note) VALUES ('pwned'); RETURN 1; END",
    "CREATE PROCEDURE evil_proc() MODIFIES SQL DATA DELETE FROM orders",
]

SQLITE_SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, ssn TEXT,
  country TEXT, created_at TEXT NOT NULL, tags TEXT, profile TEXT);
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, category TEXT, price REAL);
CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER, status TEXT,
  total REAL, created_at TEXT);
CREATE TABLE order_items (order_id INTEGER, product_id INTEGER, quantity INTEGER,
  unit_price REAL);
CREATE TABLE events (id INTEGER PRIMARY KEY, "user" TEXT, "select" INTEGER, "group" TEXT,
  "order" INTEGER, "desc" TEXT, ts TEXT);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, note TEXT);
CREATE VIEW customer_totals AS SELECT c.id, c.name, SUM(o.total) AS total
  FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 250)
INSERT INTO customers SELECT n, 'Customer ' || n, 'cust' || n || '@example.com',
  printf('%09d', n), CASE n % 3 WHEN 0 THEN 'NL' WHEN 1 THEN 'DE' ELSE 'US' END,
  date('2024-01-01', '+' || n || ' days'), CASE WHEN n % 4 = 0 THEN 'vip' END,
  json_object('plan', CASE WHEN n % 2 = 0 THEN 'pro' ELSE 'free' END, 'seats', n % 10)
  FROM g WHERE n <= 30;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 10)
INSERT INTO products SELECT n, 'Product ' || n,
  CASE n % 3 WHEN 0 THEN 'books' WHEN 1 THEN 'games' ELSE 'tools' END, n * 3.5 FROM g;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100)
INSERT INTO orders SELECT n, 1 + n % 30,
  CASE n % 3 WHEN 0 THEN 'paid' WHEN 1 THEN 'shipped' ELSE 'refunded' END, n * 2.75,
  datetime('2024-01-01', '+' || (n * 13) || ' hours') FROM g;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 250)
INSERT INTO order_items SELECT 1 + n % 100, 1 + n % 10, 1 + n % 4, 3.5 * (1 + n % 10) FROM g;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20)
INSERT INTO events SELECT n, 'u' || n, n, 'g' || (n % 3), 20 - n, 'd',
  datetime('2024-02-01', '+' || n || ' hours') FROM g;
CREATE TRIGGER orders_audit AFTER DELETE ON orders BEGIN
  INSERT INTO audit_log (note) VALUES ('deleted');
END;
"""


def build_postgres(conn: psycopg.Connection[Any]) -> None:
    """Create the analytics schema in the database ``conn`` is connected to."""
    conn.execute(PG_SCHEMA)  # type: ignore[arg-type]


def build_mariadb(conn: pymysql.Connection[Any]) -> None:
    """Create the analytics schema in the database ``conn`` is connected to."""
    with conn.cursor() as cur:
        for statement in MARIADB_SCHEMA:
            cur.execute(statement)


def build_sqlite(path: Path) -> None:
    """Create the analytics database file at ``path``."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SQLITE_SCHEMA)
        conn.commit()
    finally:
        conn.close()


# --- fingerprints -----------------------------------------------------------------

_PG_QUERIES = {
    "relations": "SELECT n.nspname, c.relname, c.relkind FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2",
    "sequences": "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2",
    "functions": "SELECT n.nspname, p.proname, md5(p.prosrc) FROM pg_proc p"
    " JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3",
    "operators": "SELECT oprname, oprcode::text FROM pg_operator"
    " WHERE oprnamespace <> 'pg_catalog'::regnamespace ORDER BY 1, 2",
    "roles": "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls"
    " FROM pg_roles WHERE rolname IN ('postgres', 'pg_read_server_files') ORDER BY 1",
    "settings": "SELECT coalesce(setrole::text, ''), setconfig FROM pg_db_role_setting"
    " WHERE setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))"
    " ORDER BY 1",
    "file_settings": "SELECT name, setting FROM pg_file_settings ORDER BY 1, 2",
    "database": "SELECT datallowconn, datconnlimit, datacl::text FROM pg_database"
    " WHERE datname = current_database()",
    "locks": "SELECT locktype, mode, granted, coalesce(relation::regclass::text, ''),"
    " classid, objid FROM pg_locks"
    " WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND pid <> pg_backend_pid() ORDER BY 1, 2, 4",
    "large_objects": "SELECT count(*), coalesce(sum(length(lo_get(oid))), 0)"
    " FROM pg_largeobject_metadata",
    "replication_slots": "SELECT slot_name FROM pg_replication_slots ORDER BY 1",
    "prepared_xacts": "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()",
    "busy_sessions": "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'",
    "privileges": "SELECT c.relname, c.relacl::text FROM pg_class c"
    " WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1",
}


def pg_fingerprint(conn: psycopg.Connection[Any]) -> dict[str, object]:
    """Everything a query could change in the database ``conn`` (superuser) is connected to."""
    out: dict[str, object] = {}
    for name, query in _PG_QUERIES.items():
        out[name] = conn.execute(query).fetchall()  # type: ignore[arg-type]
    tables = conn.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    ).fetchall()
    for (table,) in tables:
        out[f"table {table}"] = conn.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
            f" FROM {table} t"
        ).fetchone()
    return out


def mariadb_fingerprint(conn: pymysql.Connection[Any], database: str) -> dict[str, object]:
    """Everything a query could change in ``database``, seen from an admin connection."""
    out: dict[str, object] = {}
    with conn.cursor() as cur:

        def rows(query: str, *args: object) -> object:
            cur.execute(query, args)
            return tuple(cur.fetchall())

        out["relations"] = rows(
            "SELECT table_name, table_type FROM information_schema.tables"
            " WHERE table_schema = %s ORDER BY 1",
            database,
        )
        out["routines"] = rows(
            "SELECT routine_name, routine_type, MD5(routine_definition)"
            " FROM information_schema.routines WHERE routine_schema = %s ORDER BY 1",
            database,
        )
        out["triggers"] = rows(
            "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = %s",
            database,
        )
        out["events"] = rows(
            "SELECT event_name FROM information_schema.events WHERE event_schema = %s", database
        )
        out["grants"] = rows("SELECT * FROM mysql.db WHERE db = %s", database)
        out["settings"] = rows(
            "SELECT @@GLOBAL.read_only, @@GLOBAL.max_statement_time, @@GLOBAL.general_log,"
            " @@GLOBAL.local_infile, @@GLOBAL.sql_mode, @@GLOBAL.event_scheduler"
        )
        out["busy_sessions"] = rows(
            "SELECT COUNT(*) FROM information_schema.processlist"
            " WHERE db = %s AND command <> 'Sleep' AND id <> CONNECTION_ID()",
            database,
        )
        out["sequence"] = rows(f"SELECT * FROM `{database}`.invoice_seq")
        for table, kind in out["relations"]:  # type: ignore[attr-defined]
            if kind == "BASE TABLE":
                out[f"table {table}"] = rows(f"CHECKSUM TABLE `{database}`.`{table}` EXTENDED")
                out[f"count {table}"] = rows(f"SELECT COUNT(*) FROM `{database}`.`{table}`")
    return out


def sqlite_fingerprint(path: Path) -> dict[str, object]:
    """The file's bytes and every sidecar file SQLite might leave behind."""
    siblings = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
    return {
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "files": siblings,
    }
