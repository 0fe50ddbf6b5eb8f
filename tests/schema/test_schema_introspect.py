"""Introspection against real databases: SQLite always, PostgreSQL and MariaDB when marked."""

from __future__ import annotations

import json
import secrets
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from schema_servers import PG_ADMIN_URL

from conexor.schema import (
    IntrospectionFailed,
    SchemaTooLarge,
    Snapshot,
    Table,
    describe,
    introspect,
)

USER_TABLES = {"customers", "products", "orders", "order_items"}


def _table(snapshot: Snapshot, name: str) -> Table:
    table = snapshot.find_table(name)
    assert table is not None, name
    return table


def _columns(table: Table) -> dict[str, tuple[str, bool, bool]]:
    return {c.name: (c.type, c.nullable, c.primary_key) for c in table.columns}


def test_sqlite_sample(sample_db: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{sample_db}", poolclass=sa.NullPool)
    snap = introspect(engine)
    assert snap.dialect == "sqlite"
    assert snap.default_schema == "main"
    assert [(t.name, t.kind) for t in snap.tables] == [
        ("customers", "table"),
        ("order_items", "table"),
        ("order_totals", "view"),
        ("orders", "table"),
        ("products", "table"),
    ]
    assert all(t.schema is None for t in snap.tables)

    items = _table(snap, "order_items")
    assert [c.name for c in items.columns] == [
        "id",
        "order_id",
        "product_id",
        "quantity",
        "unit_price",
    ]
    assert _columns(items)["unit_price"] == ("NUMERIC(10, 2)", False, False)
    assert _columns(items)["id"][2] is True
    assert {(fk.columns, fk.ref_table, fk.ref_columns) for fk in items.foreign_keys} == {
        (("order_id",), "orders", ("id",)),
        (("product_id",), "products", ("id",)),
    }
    products = _table(snap, "products")
    stock = next(c for c in products.columns if c.name == "stock")
    assert stock.default == "0"
    assert all(t.comment is None for t in snap.tables)

    view = _table(snap, "order_totals")
    assert [c.name for c in view.columns][:2] == ["order_id", "customer_id"]
    assert view.foreign_keys == ()
    assert _table(snap, "orders").indexes == (("customer_id",), ("ordered_at",))
    assert _table(snap, "products").indexes == (("category",),)
    assert view.indexes == ()

    rows = describe(_table(snap, "orders"))["rows"]
    assert ["customer_id", "INTEGER", False, "FK -> customers.id", None, None] in rows  # type: ignore[operator]

    # The snapshot survives the wire.
    assert Snapshot.from_json(json.loads(json.dumps(snap.to_json()))) == snap
    engine.dispose()


def test_sqlite_never_reads_rows(sample_db: Path) -> None:
    """Catalog reads only: an authorizer that denies reading any user table changes nothing."""
    denied: list[str] = []

    def authorizer(action: int, arg1: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and arg1 in USER_TABLES:
            denied.append(arg1)
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{sample_db}?mode=ro", uri=True)
        conn.set_authorizer(authorizer)
        return conn

    engine = sa.create_engine("sqlite://", creator=connect, poolclass=sa.NullPool)
    snap = introspect(engine)
    assert {t.name for t in snap.tables} == {*USER_TABLES, "order_totals"}
    assert denied == []
    engine.dispose()


def test_sqlite_max_tables(sample_db: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{sample_db}", poolclass=sa.NullPool)
    assert len(introspect(engine, max_tables=5).tables) == 5
    with pytest.raises(SchemaTooLarge) as exc:
        introspect(engine, max_tables=4)
    assert exc.value.code == "schema_too_large"
    engine.dispose()


def test_sqlite_unreadable_file_is_our_error(tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "secret-name.db"
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.NullPool)
    with pytest.raises(IntrospectionFailed) as exc:
        introspect(engine)
    assert "secret-name" not in str(exc.value)
    assert exc.value.__cause__ is None
    assert exc.value.__suppress_context__


@pytest.mark.postgres
def test_postgres(pg_engine: sa.Engine) -> None:
    with pg_engine.begin() as conn:
        for stmt in [
            "CREATE SCHEMA sales",
            "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, "
            "email varchar(200) UNIQUE, created_at timestamptz DEFAULT now())",
            "COMMENT ON TABLE customers IS 'People who buy'",
            "COMMENT ON COLUMN customers.email IS 'Contact address'",
            "CREATE TABLE sales.orders (id integer PRIMARY KEY, customer_id integer NOT NULL "
            "REFERENCES public.customers (id), total numeric(10, 2))",
            "CREATE TABLE sales.order_lines (order_id integer, line integer, qty integer, "
            "PRIMARY KEY (order_id, line), FOREIGN KEY (order_id) REFERENCES sales.orders (id))",
            "CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE total > 100",
            "COMMENT ON VIEW sales.big_orders IS 'Orders over 100'",
            "CREATE MATERIALIZED VIEW order_counts AS SELECT customer_id, count(*) AS n "
            "FROM sales.orders GROUP BY customer_id",
        ]:
            conn.exec_driver_sql(stmt)

    snap = introspect(pg_engine)
    assert snap.dialect == "postgresql"
    assert snap.default_schema == "public"
    assert [(t.qualified_name, t.kind) for t in snap.tables] == [
        ("customers", "table"),
        ("order_counts", "view"),
        ("sales.big_orders", "view"),
        ("sales.order_lines", "table"),
        ("sales.orders", "table"),
    ]
    customers = _table(snap, "public.customers")
    assert customers is _table(snap, "customers")
    assert customers.comment == "People who buy"
    cols = {c.name: c for c in customers.columns}
    assert cols["email"].comment == "Contact address"
    assert cols["email"].type == "VARCHAR(200)"
    assert cols["id"].primary_key
    assert not cols["id"].nullable
    assert "nextval" in str(cols["id"].default)
    assert cols["created_at"].type == "TIMESTAMP WITH TIME ZONE"

    orders = _table(snap, "orders")  # unique bare name in another schema
    assert orders.schema == "sales"
    assert _columns(orders)["total"] == ("NUMERIC(10, 2)", True, False)
    assert orders.foreign_keys[0].ref_table == "customers"
    lines = _table(snap, "sales.order_lines")
    assert [c.name for c in lines.columns if c.primary_key] == ["order_id", "line"]
    assert lines.foreign_keys[0].ref_table == "sales.orders"
    assert _table(snap, "sales.big_orders").comment == "Orders over 100"
    assert describe(lines)["rows"][0][3] == "PK, FK -> sales.orders.id"  # type: ignore[index]

    only_sales = introspect(pg_engine, schemas=["sales"])
    assert {t.qualified_name for t in only_sales.tables} == {
        "sales.big_orders",
        "sales.order_lines",
        "sales.orders",
    }
    assert introspect(pg_engine, schemas=["public"]).tables[0].schema is None
    assert Snapshot.from_json(json.loads(json.dumps(snap.to_json()))) == snap


@pytest.mark.postgres
def test_postgres_errors_hide_the_url() -> None:
    password = secrets.token_hex(8)
    url = sa.make_url(PG_ADMIN_URL).set(
        password=password, database=f"cnx_missing_{secrets.token_hex(4)}"
    )
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with pytest.raises(IntrospectionFailed) as exc:
        introspect(engine)
    assert password not in str(exc.value)
    assert password not in repr(exc.value)
    assert exc.value.public == "the database schema could not be read (OperationalError)"
    engine.dispose()


@pytest.mark.mariadb
def test_mariadb(mariadb_engine: sa.Engine) -> None:
    with mariadb_engine.begin() as conn:
        for stmt in [
            "CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, "
            "name VARCHAR(100) NOT NULL COMMENT 'Full name', "
            "country VARCHAR(60) NOT NULL DEFAULT 'Portugal') "
            "ENGINE=InnoDB COMMENT='People who buy'",
            "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, "
            "total DECIMAL(10, 2), "
            "CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)) "
            "ENGINE=InnoDB",
            "CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100",
        ]:
            conn.exec_driver_sql(stmt)

    snap = introspect(mariadb_engine)
    assert snap.dialect in {"mysql", "mariadb"}
    assert snap.default_schema == mariadb_engine.url.database
    assert [(t.qualified_name, t.kind) for t in snap.tables] == [
        ("big_orders", "view"),
        ("customers", "table"),
        ("orders", "table"),
    ]
    customers = _table(snap, "customers")
    assert customers.comment == "People who buy"
    cols = {c.name: c for c in customers.columns}
    assert cols["name"].comment == "Full name"
    assert cols["name"].type == "VARCHAR(100)"
    assert cols["country"].default == "'Portugal'"
    assert cols["id"].primary_key
    orders = _table(snap, f"{snap.default_schema}.orders")
    assert _columns(orders)["total"] == ("DECIMAL(10, 2)", True, False)
    assert orders.foreign_keys[0].ref_table == "customers"
    assert describe(orders)["rows"][1][3] == "FK -> customers.id"  # type: ignore[index]
    assert Snapshot.from_json(json.loads(json.dumps(snap.to_json()))) == snap
