"""The adversarial suite against a real MariaDB server.

Same shape as the PostgreSQL suite: every must-reject case fails with
``QueryRejected`` and leaves the database fingerprint unchanged; every
must-allow case runs. One analytics database serves the whole module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
import pytest
from sqlalchemy import Engine

from conexor.sandbox import (
    RULES,
    Limits,
    QueryRejected,
    QueryTimeout,
    check,
    create_database_engine,
    run_query,
)
from conexor.sandbox.execute import _execute
from conexor.schema import Snapshot, introspect

from .analytics import build_mariadb, mariadb_fingerprint
from .conftest import MARIADB_HOST, MARIADB_PORT, mariadb_admin, unique
from .suite import Case, load, params

pytestmark = pytest.mark.mariadb


@dataclass
class Analytics:
    name: str
    engine: Engine
    admin: pymysql.Connection[Any]
    snapshot: Snapshot


@pytest.fixture(scope="module")
def analytics() -> Iterator[Analytics]:
    name = unique("cnx_suite")
    with mariadb_admin() as admin, admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    conn = mariadb_admin(name)
    engine = create_database_engine(
        f"mariadb://root@{MARIADB_HOST}:{MARIADB_PORT}/{name}", pool_size=1
    )
    try:
        build_mariadb(conn)
        yield Analytics(name, engine, conn, introspect(engine))
    finally:
        engine.dispose()
        conn.close()
        with mariadb_admin() as admin, admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def test_suite_sizes() -> None:
    rejects = load("reject", "mysql")
    assert len(rejects) >= 30
    assert len(load("allow", "mysql")) >= 50
    assert len({case.cls for case in rejects}) >= 15


@pytest.mark.parametrize("case", params("reject", "mysql"))
def test_reject(analytics: Analytics, case: Case) -> None:
    before = mariadb_fingerprint(analytics.admin, analytics.name)
    with pytest.raises(QueryRejected) as caught:
        run_query(analytics.engine, case.sql, "mysql", Limits(), snapshot=analytics.snapshot)
    rejected = caught.value
    assert rejected.rule in RULES
    assert rejected.rule.startswith("deny.")
    assert rejected.public and "\n" not in rejected.public
    if case.rule is not None:
        assert rejected.rule == case.rule, rejected.public
    assert mariadb_fingerprint(analytics.admin, analytics.name) == before


@pytest.mark.parametrize("case", params("allow", "mysql"))
def test_allow(analytics: Analytics, case: Case) -> None:
    verdict = check(case.sql, "mysql", snapshot=analytics.snapshot)
    assert verdict.allowed, verdict.reason
    result = run_query(analytics.engine, case.sql, "mysql", Limits(), snapshot=analytics.snapshot)
    assert result.columns


def test_allow_suite_changes_nothing(analytics: Analytics) -> None:
    before = mariadb_fingerprint(analytics.admin, analytics.name)
    for case in load("allow", "mysql"):
        run_query(analytics.engine, case.sql, "mysql", Limits(max_rows=5))
    assert mariadb_fingerprint(analytics.admin, analytics.name) == before


def test_execution_layer_refuses_writes_alone(analytics: Analytics) -> None:
    before = mariadb_fingerprint(analytics.admin, analytics.name)
    for sql in (
        "DELETE FROM orders",
        "SELECT evil_write()",
        "SELECT 1; DELETE FROM orders",
        "SELECT NEXTVAL(invoice_seq)",
    ):
        with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal will do
            _execute(analytics.engine, sql, "mysql", Limits())
    assert mariadb_fingerprint(analytics.admin, analytics.name) == before


def test_timeout_holds_for_an_allowed_query(analytics: Analytics) -> None:
    with pytest.raises(QueryTimeout):
        run_query(
            analytics.engine,
            "SELECT SUM(a.seq % 7) FROM seq_1_to_100000 a, seq_1_to_100000 b",
            "mysql",
            Limits(timeout_s=0.2),
        )
    assert run_query(analytics.engine, "SELECT 1", "mysql", Limits()).rows == [[1]]
