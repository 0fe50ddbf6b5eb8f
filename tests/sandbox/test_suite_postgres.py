"""The adversarial suite against a real PostgreSQL server.

Every must-reject case goes through ``run_query`` (validation, then the
execution layer's own checks) and must fail with ``QueryRejected`` while the
database fingerprint stays the same. Every must-allow case runs for real and
must return a result. One analytics database serves the whole module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine

from conexor.sandbox import (
    RULES,
    Limits,
    Policy,
    QueryFailed,
    QueryRejected,
    QueryTimeout,
    check,
    create_database_engine,
    run_query,
)
from conexor.sandbox.execute import _execute
from conexor.schema import Snapshot, introspect

from .analytics import build_postgres, pg_fingerprint
from .conftest import PG_HOST, PG_PORT, pg_admin, unique
from .suite import Case, load, params

pytestmark = pytest.mark.postgres


@dataclass
class Analytics:
    name: str
    engine: Engine
    admin: psycopg.Connection[Any]
    snapshot: Snapshot


@pytest.fixture(scope="module")
def analytics() -> Iterator[Analytics]:
    name = unique("cnx_suite")
    with pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    conn = psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname=name, autocommit=True
    )
    engine = create_database_engine(
        f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}", pool_size=1
    )
    try:
        build_postgres(conn)
        yield Analytics(name, engine, conn, introspect(engine))
    finally:
        engine.dispose()
        conn.close()
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_suite_sizes() -> None:
    rejects = load("reject", "postgresql")
    assert len(rejects) >= 100
    assert len(load("allow", "postgresql")) >= 50
    classes = {case.cls for case in rejects}
    assert {
        "stacked statements",
        "comment and quoting tricks",
        "transaction control",
        "data-modifying CTE",
        "INTO",
        "locks",
        "sequences",
        "advisory locks",
        "files, programs and large objects",
        "backend signalling",
        "config changes",
        "DO, CALL, PREPARE, EXECUTE",
        "LISTEN and NOTIFY",
        "maintenance",
        "temp objects",
        "cursors",
        "resource exhaustion",
        "user-defined and SQL-running functions",
    } <= classes


@pytest.mark.parametrize("case", params("reject", "postgresql"))
def test_reject(analytics: Analytics, case: Case) -> None:
    before = pg_fingerprint(analytics.admin)
    with pytest.raises(QueryRejected) as caught:
        run_query(analytics.engine, case.sql, "postgresql", Limits(), snapshot=analytics.snapshot)
    rejected = caught.value
    assert rejected.rule in RULES
    assert rejected.rule.startswith("deny.")
    assert rejected.public and "\n" not in rejected.public
    if case.rule is not None:
        assert rejected.rule == case.rule, rejected.public
    assert pg_fingerprint(analytics.admin) == before


@pytest.mark.parametrize("case", params("allow", "postgresql"))
def test_allow(analytics: Analytics, case: Case) -> None:
    verdict = check(case.sql, "postgresql", snapshot=analytics.snapshot)
    assert verdict.allowed, verdict.reason
    result = run_query(
        analytics.engine, case.sql, "postgresql", Limits(), snapshot=analytics.snapshot
    )
    assert result.columns


def test_allow_suite_changes_nothing(analytics: Analytics) -> None:
    before = pg_fingerprint(analytics.admin)
    for case in load("allow", "postgresql"):
        run_query(analytics.engine, case.sql, "postgresql", Limits(max_rows=5))
    assert pg_fingerprint(analytics.admin) == before


# --- the execution layer on its own -----------------------------------------------


def test_statement_timeout_cannot_be_lifted_from_inside(analytics: Analytics) -> None:
    # Validation refuses both; the execution layer alone still keeps the timeout,
    # because the timer for the running statement is already armed.
    assert check("SET statement_timeout = 0", "postgresql").rule == "deny.not_read_only"
    lifted = "SELECT set_config('statement_timeout', '0', false), pg_sleep(30)"
    assert check(lifted, "postgresql").rule == "deny.function_not_allowed"
    with pytest.raises(QueryTimeout):
        _execute(analytics.engine, lifted, "postgresql", Limits(timeout_s=0.2))
    setting = _execute(
        analytics.engine,
        "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'",
        "postgresql",
        Limits(timeout_s=7),
    )
    assert setting.rows == [["7000"]]


def test_connection_is_reset_before_reuse(analytics: Analytics) -> None:
    # A session-level advisory lock survives ROLLBACK; DISCARD ALL on release
    # drops it. PREPARE cannot even be sent: stream() wants a result set.
    with pytest.raises(QueryFailed):
        _execute(analytics.engine, "PREPARE leftover AS SELECT 1", "postgresql", Limits())
    _execute(analytics.engine, "SELECT pg_advisory_lock(4242)", "postgresql", Limits())
    _execute(
        analytics.engine, "SELECT set_config('work_mem', '1MB', false)", "postgresql", Limits()
    )
    state = _execute(
        analytics.engine,
        "SELECT (SELECT count(*) FROM pg_prepared_statements WHERE name = 'leftover'),"
        " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()),"
        " (SELECT count(*) FROM pg_cursors WHERE name <> ''), current_setting('work_mem') <> '1MB'",
        "postgresql",
        Limits(),
    )
    assert state.rows == [[0, 0, 0, True]]
    locks = analytics.admin.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    assert locks == (0,)


def test_execution_layer_refuses_writes_alone(analytics: Analytics) -> None:
    before = pg_fingerprint(analytics.admin)
    for sql in (
        "DELETE FROM orders",
        "SELECT nextval('invoice_seq')",
        "SELECT evil_write()",
        "SELECT 1; DELETE FROM orders",
        "CREATE TEMP TABLE t (id int)",
    ):
        with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal will do
            _execute(analytics.engine, sql, "postgresql", Limits())
    assert pg_fingerprint(analytics.admin) == before


def test_shadowing_is_caught_for_qualified_builtin_only(analytics: Analytics) -> None:
    # pg_catalog.initcap is never shadowed; bare initcap may be.
    result = run_query(analytics.engine, "SELECT pg_catalog.initcap('ab')", "postgresql", Limits())
    assert result.rows == [["Ab"]]
    with pytest.raises(QueryRejected) as caught:
        run_query(analytics.engine, "SELECT initcap('ab')", "postgresql", Limits())
    assert caught.value.rule == "deny.function_shadowed"
    assert "pg_catalog.initcap" in caught.value.public


def test_extra_function_lifts_shadow_check(analytics: Analytics) -> None:
    policy = Policy(extra_functions=("initcap",))
    result = run_query(
        analytics.engine, "SELECT initcap('ab')", "postgresql", Limits(), policy=policy
    )
    assert result.rows == [["Ab"]]


def test_policy_on_the_real_database(analytics: Analytics) -> None:
    policy = Policy(denied_columns=("customers.ssn",), allowed_schemas=("public",), max_rows=5)
    before = pg_fingerprint(analytics.admin)
    for sql, rule in (
        ("SELECT * FROM customers", "deny.column_denied"),
        ("SELECT c FROM customers c", "deny.column_denied"),
        ("SELECT * FROM sales.targets", "deny.schema_not_allowed"),
        ("SELECT * FROM pg_stats", "deny.schema_not_allowed"),
    ):
        with pytest.raises(QueryRejected) as caught:
            run_query(
                analytics.engine,
                sql,
                "postgresql",
                policy.limits(),
                policy=policy,
                snapshot=analytics.snapshot,
            )
        assert caught.value.rule == rule, caught.value.public
    with pytest.raises(QueryRejected) as missing:
        run_query(
            analytics.engine, "SELECT id FROM customers", "postgresql", Limits(), policy=policy
        )
    assert missing.value.rule == "deny.schema_unknown"
    result = run_query(
        analytics.engine,
        "SELECT id, name FROM customers ORDER BY id",
        "postgresql",
        policy.limits(),
        policy=policy,
        snapshot=analytics.snapshot,
    )
    assert result.row_count == 5
    assert result.truncated
    assert pg_fingerprint(analytics.admin) == before
