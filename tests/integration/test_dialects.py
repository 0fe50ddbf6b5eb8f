"""PostgreSQL and MariaDB through list_tables, describe_table and query, over MCP."""

from __future__ import annotations

import json

import psycopg
import pymysql
import pytest

from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, run_cli, signup
from tests.services import MARIA, unique

PG_SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, joined date, balance numeric(10,2));
COMMENT ON TABLE customers IS 'People who buy things';
COMMENT ON COLUMN customers.name IS 'Full name';
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), meta jsonb);
CREATE VIEW rich AS SELECT * FROM customers WHERE balance > 100;
INSERT INTO customers (name, joined, balance)
  SELECT 'P' || g, date '2024-01-01' + g, g * 10.5 FROM generate_series(1, 40) g;
INSERT INTO orders (customer_id, meta) SELECT g, jsonb_build_object('n', g) FROM generate_series(1, 40) g;
"""


@pytest.mark.postgres
def test_postgresql_end_to_end(live_server: LiveServer, pg_db: str) -> None:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_db}", autocommit=True) as conn:
        conn.execute(PG_SCHEMA)
    key = signup(live_server.url)["api_key"]
    proc = add_db(live_server.url, key, "pg", f"postgresql://postgres@127.0.0.1:5432/{pg_db}")
    assert proc.returncode == 0, proc.stderr

    tables = call(live_server.url, key, "list_tables", {"database": "pg"}).structured_content
    by_name = {r[0]: r for r in tables["rows"]}
    assert by_name["customers"][1:] == ["table", 4, "People who buy things"]
    assert by_name["rich"][1] == "view"

    desc = call(live_server.url, key, "describe_table", {"database": "pg", "table": "customers"})
    cols = {r[0]: r for r in desc.structured_content["rows"]}
    assert cols["name"][2] is False and cols["name"][5] == "Full name"
    assert cols["id"][3] == "PK"

    q = call(
        live_server.url,
        key,
        "query",
        {
            "database": "pg",
            "sql": "SELECT c.id, c.balance, c.joined, o.meta FROM customers c "
            "JOIN orders o ON o.customer_id = c.id ORDER BY c.id",
            "max_rows": 2,
        },
    )
    assert not q.is_error, q.content
    assert q.structured_content["rows"] == [
        [1, "10.50", "2024-01-02", {"n": 1}],
        [2, "21.00", "2024-01-03", {"n": 2}],
    ]
    assert q.structured_content["truncated"] is True

    analytics = call(
        live_server.url,
        key,
        "query",
        {
            "database": "pg",
            "sql": "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY balance) AS p50 FROM customers",
        },
    )
    assert not analytics.is_error
    assert analytics.structured_content["rows"] == [[215.25]]

    stacked = call(
        live_server.url, key, "query", {"database": "pg", "sql": "COMMIT; DROP TABLE orders"}
    )
    assert stacked.is_error
    cte = call(
        live_server.url,
        key,
        "query",
        {
            "database": "pg",
            "sql": "WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d",
        },
    )
    assert cte.is_error
    missing = call(live_server.url, key, "query", {"database": "pg", "sql": "SELECT * FROM nope"})
    assert missing.is_error and "42P01" in missing.content[0].text  # type: ignore[union-attr]
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_db}") as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (40,)


@pytest.mark.postgres
def test_postgresql_timeout_cancels_the_query(live_server: LiveServer, pg_db: str) -> None:
    key = signup(live_server.url)["api_key"]
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_db}"
    proc = add_db(live_server.url, key, "slow", url, "--timeout", "1")
    assert proc.returncode == 0, proc.stderr
    slow = call(
        live_server.url,
        key,
        "query",
        {"database": "slow", "sql": "SELECT count(*) FROM generate_series(1, 2000000000) AS g"},
    )
    assert slow.is_error
    assert "time limit" in slow.content[0].text  # type: ignore[union-attr]
    # The pooled connection is clean afterwards.
    fast = call(live_server.url, key, "query", {"database": "slow", "sql": "SELECT 1 AS ok"})
    assert fast.structured_content["rows"] == [[1]]


@pytest.mark.mariadb
def test_mariadb_end_to_end(live_server: LiveServer, maria_db: str) -> None:
    with pymysql.connect(**MARIA, database=maria_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE products (id INT PRIMARY KEY AUTO_INCREMENT, sku VARCHAR(20) NOT NULL, "
            "price DECIMAL(8,2)) COMMENT='Things we sell'"
        )
        cur.execute(
            "CREATE TABLE items (id INT PRIMARY KEY, product_id INT NOT NULL, "
            "FOREIGN KEY (product_id) REFERENCES products(id))"
        )
        cur.executemany(
            "INSERT INTO products (sku, price) VALUES (%s, %s)",
            [(f"S{i}", i * 1.25) for i in range(1, 21)],
        )
        cur.executemany("INSERT INTO items VALUES (%s, %s)", [(i, i) for i in range(1, 21)])
    key = signup(live_server.url)["api_key"]
    proc = add_db(live_server.url, key, "maria", f"mysql://root@127.0.0.1:3306/{maria_db}")
    assert proc.returncode == 0, proc.stderr

    tables = call(live_server.url, key, "list_tables", {"database": "maria"}).structured_content
    by_name = {r[0]: r for r in tables["rows"]}
    assert by_name["products"][1:] == ["table", 3, "Things we sell"]
    desc = call(live_server.url, key, "describe_table", {"database": "maria", "table": "items"})
    cols = {r[0]: r for r in desc.structured_content["rows"]}
    assert "products.id" in cols["product_id"][3]

    q = call(
        live_server.url,
        key,
        "query",
        {"database": "maria", "sql": "SELECT sku, price FROM products ORDER BY id", "max_rows": 3},
    )
    assert q.structured_content["rows"] == [["S1", "1.25"], ["S2", "2.50"], ["S3", "3.75"]]
    assert q.structured_content["truncated"] is True

    for sql in (
        "/*!50000 DELETE FROM items */ SELECT 1",
        "SELECT 1; DELETE FROM items",
        "DELETE FROM items",
        "SELECT * FROM items FOR UPDATE",
    ):
        r = call(live_server.url, key, "query", {"database": "maria", "sql": sql})
        assert r.is_error, sql
    with pymysql.connect(**MARIA, database=maria_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM items")
        assert cur.fetchone() == (20,)


@pytest.mark.postgres
def test_role_check_warns_and_recommends_grants(
    live_server: LiveServer, pg_db: str, pg_admin
) -> None:
    key = signup(live_server.url)["api_key"]
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
    admin_url = f"postgresql://postgres@127.0.0.1:5432/{pg_db}"
    proc = run_cli("db", "add", "asadmin", env={**env, "CONEXOR_DB_URL": admin_url}, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "superuser" in proc.stderr
    assert "CREATE ROLE conexor_readonly" in proc.stderr
    report = json.loads(run_cli("db", "test", "asadmin", "--json", env=env).stdout)
    assert any("superuser" in w for w in report["warnings"])
    assert any(g.startswith("GRANT CONNECT ON DATABASE") for g in report["grants"])

    reader = unique("cnx_reader")
    pg_admin.execute(f"CREATE ROLE {reader} LOGIN")
    try:
        pg_admin.execute(f"GRANT CONNECT ON DATABASE {pg_db} TO {reader}")
        url = f"postgresql://{reader}@127.0.0.1:5432/{pg_db}"
        proc = run_cli("db", "add", "asreader", env={**env, "CONEXOR_DB_URL": url}, check=False)
        assert proc.returncode == 0, proc.stderr
        assert "warning" not in proc.stderr
        clean = json.loads(run_cli("db", "test", "asreader", "--json", env=env).stdout)
        assert clean["warnings"] == []
    finally:
        pg_admin.execute(f"REVOKE ALL ON DATABASE {pg_db} FROM {reader}")
        pg_admin.execute(f"DROP ROLE IF EXISTS {reader}")
