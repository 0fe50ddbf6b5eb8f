"""The sample shop: deterministic, consistent, and introspectable."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from conexor.sample import build_sample_database
from conexor.schema import introspect

TABLES = ("customers", "products", "orders", "order_items")


def _digest(path: Path) -> str:
    """SHA-256 over every row of every table and the schema, in a fixed order."""
    h = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for (sql,) in conn.execute("SELECT sql FROM sqlite_master ORDER BY type, name"):
            h.update(repr(sql).encode())
        for table in TABLES:
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY id"):
                h.update(repr(row).encode())
    return h.hexdigest()


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def test_same_seed_same_content(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    build_sample_database(a)
    build_sample_database(b)
    build_sample_database(c, seed=8)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_replaces_an_existing_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    path.write_text("not a database")
    build_sample_database(path)
    assert _query(path, "SELECT count(*) FROM customers") == [(500,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.db"]


def test_content_is_plausible(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    build_sample_database(path)
    counts = {t: _query(path, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}
    assert counts["customers"] == 500
    assert counts["products"] == 120
    assert counts["orders"] == 1500
    assert 3500 <= counts["order_items"] <= 4500  # type: ignore[operator]
    assert _query(path, "PRAGMA foreign_key_check") == []
    assert _query(path, "PRAGMA integrity_check") == [("ok",)]
    # Every order's total is the sum of its lines, to the cent.
    assert _query(
        path,
        """
        SELECT count(*) FROM orders AS o JOIN order_totals AS t ON t.order_id = o.id
        WHERE abs(o.total - t.items_total) > 0.005""",
    ) == [(0,)]
    # Orders never precede the customer's sign-up.
    assert _query(
        path,
        """
        SELECT count(*) FROM orders AS o JOIN customers AS c ON c.id = o.customer_id
        WHERE o.ordered_at < c.created_at""",
    ) == [(0,)]
    assert _query(path, "SELECT count(DISTINCT email) FROM customers") == [(500,)]
    assert _query(path, "SELECT count(*) FROM customers WHERE email NOT GLOB '*@*.*'") == [(0,)]
    assert len(_query(path, "SELECT DISTINCT country FROM customers")) >= 10
    assert len(_query(path, "SELECT DISTINCT category FROM products")) == 6
    indexes = {
        name
        for (name,) in _query(
            path, "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%'"
        )
    }
    assert indexes == {
        "idx_products_category",
        "idx_orders_customer_id",
        "idx_orders_ordered_at",
        "idx_order_items_order_id",
        "idx_order_items_product_id",
    }


def test_introspects(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    build_sample_database(path)
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.NullPool)
    snap = introspect(engine)
    engine.dispose()
    assert {(t.name, t.kind) for t in snap.tables} == {
        *((t, "table") for t in TABLES),
        ("order_totals", "view"),
    }
    orders = snap.find_table("orders")
    assert orders is not None
    assert [c.name for c in orders.columns] == [
        "id",
        "customer_id",
        "status",
        "ordered_at",
        "total",
    ]
    assert [c.name for c in orders.columns if c.primary_key] == ["id"]
    assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in orders.foreign_keys] == [
        (("customer_id",), "customers", ("id",))
    ]
    status = next(c for c in orders.columns if c.name == "status")
    assert status.default == "'pending'"
    assert not status.nullable
