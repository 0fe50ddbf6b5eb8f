"""run_query against a real MariaDB server."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from conexor.sandbox import (
    Limits,
    QueryFailed,
    QueryRejected,
    QueryTimeout,
    run_query,
)
from conexor.sandbox.execute import _execute

from .conftest import ROWS, mariadb_admin

pytestmark = pytest.mark.mariadb


def _count_items(database: str) -> int:
    with mariadb_admin(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM items")
        row = cur.fetchone()
        assert row is not None
        return int(row[0])


def _tables(database: str) -> set[str]:
    with mariadb_admin(database) as conn, conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        return {str(row[0]) for row in cur.fetchall()}


def test_select_returns_json_safe_rows(mariadb_engine: Engine) -> None:
    result = run_query(
        mariadb_engine,
        "SELECT id, name, price, created, data FROM items ORDER BY id LIMIT 2",
        "mysql",
        Limits(),
    )
    assert result.columns == ["id", "name", "price", "created", "data"]
    assert result.rows[0] == [1, "item 1", "1.25", "2024-01-01T00:00:00", "base64:Af8="]
    assert result.row_count == 2
    assert not result.truncated


def test_empty_result_keeps_columns(mariadb_engine: Engine) -> None:
    result = run_query(mariadb_engine, "SELECT id, name FROM items WHERE 1 = 0", "mysql", Limits())
    assert result.columns == ["id", "name"]
    assert result.rows == []


def test_truncated_at_max_rows_and_connection_reusable(mariadb_engine: Engine) -> None:
    result = run_query(
        mariadb_engine, "SELECT id FROM items ORDER BY id", "mysql", Limits(max_rows=10)
    )
    assert result.row_count == 10
    assert result.rows[-1] == [10]
    assert result.truncated
    exact = run_query(mariadb_engine, "SELECT id FROM items", "mysql", Limits(max_rows=ROWS))
    assert exact.row_count == ROWS
    assert not exact.truncated


def test_truncated_at_max_bytes(mariadb_engine: Engine) -> None:
    result = run_query(
        mariadb_engine, "SELECT name FROM items ORDER BY id", "mysql", Limits(max_bytes=40)
    )
    assert result.truncated
    assert 0 < result.row_count < ROWS


def test_timeout_then_connection_is_usable(mariadb_engine: Engine) -> None:
    with pytest.raises(QueryTimeout) as caught:
        # An allowed query that runs for minutes: the sequence engine counts to 10^11.
        run_query(
            mariadb_engine,
            "SELECT SUM(seq % 7) FROM seq_1_to_100000000000",
            "mysql",
            Limits(timeout_s=0.2),
        )
    assert caught.value.public == "the query exceeded its 0.2 s time limit"
    assert caught.value.__suppress_context__
    for _ in range(3):
        assert run_query(mariadb_engine, "SELECT 2", "mysql", Limits()).rows == [[2]]


def test_writes_are_rejected_before_the_server(
    mariadb_engine: Engine, mariadb_database: str
) -> None:
    for sql in (
        "DELETE FROM items",
        "SELECT 1; DELETE FROM items",
        "SELECT 1 /*!, (SELECT 1 FROM items FOR UPDATE) */",
    ):
        with pytest.raises(QueryRejected):
            run_query(mariadb_engine, sql, "mysql", Limits())
    assert _count_items(mariadb_database) == ROWS


def test_read_only_transaction_holds_without_validation(
    mariadb_engine: Engine, mariadb_database: str
) -> None:
    # The private executor skips check(); the session must still refuse,
    # including DDL, which commits implicitly and leaves any transaction.
    for sql in ("DELETE FROM items", "CREATE TABLE sneaky (a int)", "DROP TABLE items"):
        with pytest.raises(QueryFailed) as caught:
            _execute(mariadb_engine, sql, "mysql", Limits())
        assert caught.value.sqlstate == "MY1792"
    assert _count_items(mariadb_database) == ROWS
    assert _tables(mariadb_database) == {"items"}


def test_stacked_statements_cannot_reach_the_server(
    mariadb_engine: Engine, mariadb_database: str
) -> None:
    # CLIENT.MULTI_STATEMENTS is off, so the server parses one statement only.
    with pytest.raises(QueryFailed) as caught:
        _execute(mariadb_engine, "SELECT 1; COMMIT; DELETE FROM items", "mysql", Limits())
    assert caught.value.sqlstate == "MY1064"
    assert _count_items(mariadb_database) == ROWS


def test_always_rolled_back(mariadb_engine: Engine) -> None:
    run_query(mariadb_engine, "SELECT id FROM items", "mysql", Limits(max_rows=1))
    with pytest.raises(QueryFailed):
        run_query(mariadb_engine, "SELECT * FROM no_such_table", "mysql", Limits())
    with mariadb_engine.connect() as conn:
        in_trx = conn.exec_driver_sql("SELECT @@in_transaction").scalar_one()
        read_only = conn.exec_driver_sql("SELECT @@session.tx_read_only").scalar_one()
        conn.rollback()
    assert in_trx == 0
    assert read_only == 1


def test_unknown_table_has_sqlstate_and_no_driver_text(mariadb_engine: Engine) -> None:
    with pytest.raises(QueryFailed) as caught:
        run_query(mariadb_engine, "SELECT * FROM no_such_table", "mysql", Limits())
    error = caught.value
    assert error.sqlstate == "MY1146"
    assert error.public == "the database rejected the query (SQLSTATE MY1146: table does not exist)"
    assert "no_such_table" not in str(error)
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_placeholders_are_not_interpreted(mariadb_engine: Engine) -> None:
    result = run_query(mariadb_engine, "SELECT '%s' AS a, '%(x)s' AS b", "mysql", Limits())
    assert result.rows == [["%s", "%(x)s"]]
