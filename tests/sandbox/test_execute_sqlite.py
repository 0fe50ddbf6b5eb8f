"""run_query against real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine

from conexor.sandbox import (
    DatabaseUnreachable,
    Limits,
    QueryFailed,
    QueryRejected,
    QueryTimeout,
    UnsupportedDatabaseUrl,
    create_database_engine,
    probe,
    run_query,
)
from conexor.sandbox.execute import _execute

from .conftest import ROWS

RUNAWAY = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"


def _count_items(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    finally:
        conn.close()


def test_select_returns_json_safe_rows(sqlite_engine: Engine) -> None:
    result = run_query(
        sqlite_engine, "SELECT id, name, price, data FROM items ORDER BY id", "sqlite", Limits()
    )
    assert result.columns == ["id", "name", "price", "data"]
    assert result.rows[0] == [1, "item 1", 1.25, "base64:Af8="]
    assert result.row_count == ROWS
    assert not result.truncated


def test_empty_result_keeps_columns(sqlite_engine: Engine) -> None:
    result = run_query(sqlite_engine, "SELECT id, name FROM items WHERE 0", "sqlite", Limits())
    assert result.columns == ["id", "name"]
    assert result.rows == []


def test_truncated_at_max_rows(sqlite_engine: Engine) -> None:
    result = run_query(
        sqlite_engine, "SELECT id FROM items ORDER BY id", "sqlite", Limits(max_rows=10)
    )
    assert result.row_count == 10
    assert result.truncated
    exact = run_query(sqlite_engine, "SELECT id FROM items", "sqlite", Limits(max_rows=ROWS))
    assert not exact.truncated


def test_truncated_at_max_bytes(sqlite_engine: Engine) -> None:
    result = run_query(sqlite_engine, "SELECT name FROM items", "sqlite", Limits(max_bytes=40))
    assert result.truncated
    assert 0 < result.row_count < ROWS


def test_runaway_query_times_out_and_connection_is_usable(sqlite_engine: Engine) -> None:
    with pytest.raises(QueryTimeout) as caught:
        run_query(sqlite_engine, RUNAWAY, "sqlite", Limits(timeout_s=0.2))
    assert caught.value.__suppress_context__
    assert run_query(sqlite_engine, "SELECT 3", "sqlite", Limits()).rows == [[3]]


def test_writes_are_rejected(sqlite_engine: Engine, sqlite_path: Path) -> None:
    with pytest.raises(QueryRejected):
        run_query(sqlite_engine, "DELETE FROM items", "sqlite", Limits())
    for sql in ("DELETE FROM items", "CREATE TABLE sneaky (a)", "PRAGMA query_only = OFF"):
        with pytest.raises(QueryFailed):
            _execute(sqlite_engine, sql + "; DELETE FROM items", "sqlite", Limits())
    for sql in ("DELETE FROM items", "CREATE TABLE sneaky (a)"):
        with pytest.raises(QueryFailed) as caught:
            _execute(sqlite_engine, sql, "sqlite", Limits())
        assert caught.value.sqlstate == "SQLITE_READONLY"
    assert _count_items(sqlite_path) == ROWS


def test_unknown_table_has_code_and_no_driver_text(sqlite_engine: Engine) -> None:
    with pytest.raises(QueryFailed) as caught:
        run_query(sqlite_engine, "SELECT * FROM no_such_table", "sqlite", Limits())
    assert caught.value.sqlstate == "SQLITE_ERROR"
    assert "no_such_table" not in str(caught.value)


def test_missing_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    engine = create_database_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseUnreachable):
        probe(engine)
    assert not path.exists()
    engine.dispose()


def test_in_memory_is_refused() -> None:
    for url in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(UnsupportedDatabaseUrl):
            create_database_engine(url)


def test_odd_file_names_work(tmp_path: Path, sqlite_path: Path) -> None:
    # URL paths are percent-decoded; the file URI built from them is re-encoded.
    odd = tmp_path / "we?ird #name%41.db"
    odd.write_bytes(sqlite_path.read_bytes())
    engine = create_database_engine(f"sqlite:///{quote(str(odd))}")
    try:
        result = run_query(engine, "SELECT count(*) FROM items", "sqlite", Limits())
        assert result.rows == [[ROWS]]
    finally:
        engine.dispose()
