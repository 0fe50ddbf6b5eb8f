"""run_query against a real PostgreSQL server."""

from __future__ import annotations

import psycopg
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

from .conftest import PG_HOST, PG_PORT, ROWS

pytestmark = pytest.mark.postgres


def _count_items(database: str) -> int:
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname=database) as conn:
        row = conn.execute("SELECT count(*) FROM items").fetchone()
        assert row is not None
        return int(row[0])


def _idle_in_transaction(database: str) -> int:
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname=database) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = 'conexor'"
            " AND state <> 'idle'",
            (database,),
        ).fetchone()
        assert row is not None
        return int(row[0])


def test_select_returns_json_safe_rows(pg_engine: Engine) -> None:
    result = run_query(
        pg_engine,
        "SELECT id, name, price, created, tags FROM items ORDER BY id LIMIT 2",
        "postgresql",
        Limits(),
    )
    assert result.columns == ["id", "name", "price", "created", "tags"]
    assert result.rows[0] == [1, "item 1", "1.25", "2024-01-02T00:00:00+00:00", {"n": 1}]
    assert result.row_count == 2
    assert not result.truncated


def test_empty_result_keeps_columns(pg_engine: Engine) -> None:
    result = run_query(pg_engine, "SELECT id, name FROM items WHERE false", "postgresql", Limits())
    assert result.columns == ["id", "name"]
    assert result.rows == []
    assert not result.truncated


def test_truncated_at_max_rows(pg_engine: Engine) -> None:
    result = run_query(
        pg_engine, "SELECT id FROM items ORDER BY id", "postgresql", Limits(max_rows=10)
    )
    assert result.row_count == 10
    assert result.rows[-1] == [10]
    assert result.truncated
    exact = run_query(pg_engine, "SELECT id FROM items", "postgresql", Limits(max_rows=ROWS))
    assert exact.row_count == ROWS
    assert not exact.truncated


def test_truncating_a_huge_result_does_not_read_it_all(pg_engine: Engine) -> None:
    # 100 million rows streamed by a nested loop; only six are ever read.
    result = run_query(
        pg_engine,
        "SELECT a FROM generate_series(1, 10000) a, generate_series(1, 10000) b",
        "postgresql",
        Limits(max_rows=5),
    )
    assert result.row_count == 5
    assert result.truncated
    # The cancelled statement left the pooled connection usable.
    assert run_query(pg_engine, "SELECT 1", "postgresql", Limits()).rows == [[1]]


def test_truncated_at_max_bytes(pg_engine: Engine) -> None:
    result = run_query(
        pg_engine, "SELECT name FROM items ORDER BY id", "postgresql", Limits(max_bytes=40)
    )
    assert result.truncated
    assert 0 < result.row_count < ROWS


def test_timeout_then_connection_is_usable(pg_engine: Engine) -> None:
    with pytest.raises(QueryTimeout) as caught:
        # An allowed query that would run for minutes.
        run_query(
            pg_engine,
            "SELECT count(*) FROM generate_series(1, 100000000000)",
            "postgresql",
            Limits(timeout_s=0.2),
        )
    assert caught.value.code == "query_timeout"
    assert caught.value.public == "the query exceeded its 0.2 s time limit"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    for _ in range(3):
        assert run_query(pg_engine, "SELECT 2", "postgresql", Limits()).rows == [[2]]


def test_writes_are_rejected_before_the_server(pg_engine: Engine, pg_database: str) -> None:
    for sql in (
        "DELETE FROM items",
        "WITH d AS (DELETE FROM items RETURNING id) SELECT * FROM d",
        "SELECT 1; DELETE FROM items",
    ):
        with pytest.raises(QueryRejected):
            run_query(pg_engine, sql, "postgresql", Limits())
    assert _count_items(pg_database) == ROWS


def test_read_only_transaction_holds_without_validation(
    pg_engine: Engine, pg_database: str
) -> None:
    # The private executor skips check(); the transaction must still refuse.
    for sql in (
        "DELETE FROM items",
        "WITH d AS (DELETE FROM items RETURNING id) SELECT * FROM d",
        "CREATE TABLE sneaky (a int)",
    ):
        with pytest.raises(QueryFailed) as caught:
            _execute(pg_engine, sql, "postgresql", Limits())
        assert caught.value.sqlstate == "25006"
    with pytest.raises(QueryFailed):
        # Switching the transaction back to read-write is refused too.
        _execute(
            pg_engine,
            "SELECT set_config('transaction_read_only', 'off', true)",
            "postgresql",
            Limits(),
        )
    assert _count_items(pg_database) == ROWS


def test_stacked_statements_cannot_reach_the_server(pg_engine: Engine, pg_database: str) -> None:
    # The extended protocol carries one statement per Parse message.
    with pytest.raises(QueryFailed) as caught:
        _execute(pg_engine, "SELECT 1; COMMIT; DELETE FROM items", "postgresql", Limits())
    assert caught.value.sqlstate == "42601"
    assert _count_items(pg_database) == ROWS


def test_always_rolled_back(pg_engine: Engine, pg_database: str) -> None:
    run_query(pg_engine, "SELECT id FROM items", "postgresql", Limits(max_rows=1))
    with pytest.raises(QueryFailed):
        run_query(pg_engine, "SELECT 1 / 0", "postgresql", Limits())
    assert _idle_in_transaction(pg_database) == 0
    with pg_engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert isinstance(raw, psycopg.Connection)
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_unknown_table_has_sqlstate_and_no_driver_text(pg_engine: Engine) -> None:
    with pytest.raises(QueryFailed) as caught:
        run_query(pg_engine, "SELECT * FROM no_such_table", "postgresql", Limits())
    error = caught.value
    assert error.sqlstate == "42P01"
    assert error.public == "the database rejected the query (SQLSTATE 42P01: undefined table)"
    assert "no_such_table" not in str(error)
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_placeholders_are_not_interpreted(pg_engine: Engine) -> None:
    result = run_query(pg_engine, "SELECT '%s' AS a, '%(x)s' AS b", "postgresql", Limits())
    assert result.rows == [["%s", "%(x)s"]]


def test_explain_runs(pg_engine: Engine) -> None:
    result = run_query(pg_engine, "EXPLAIN SELECT * FROM items", "postgresql", Limits())
    assert result.columns == ["QUERY PLAN"]
    assert result.row_count >= 1


def _terminate_sandbox_sessions(database: str) -> int:
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = 'conexor'",
            (database,),
        ).fetchall()
        return len(rows)


def test_pooled_connection_killed_while_idle_is_replaced(
    pg_engine: Engine, pg_database: str
) -> None:
    # Pooled connections are not pinged before use: the first round trip finds
    # the dead one before any SQL of the call was sent, and a fresh one runs it.
    first = run_query(pg_engine, "SELECT 1 AS one", "postgresql", Limits())
    assert first.rows == [[1]]
    assert _terminate_sandbox_sessions(pg_database) >= 1
    again = run_query(pg_engine, "SELECT 2 AS two", "postgresql", Limits())
    assert again.rows == [[2]]
