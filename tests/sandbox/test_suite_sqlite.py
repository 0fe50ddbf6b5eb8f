"""The adversarial suite against a real SQLite file.

Every must-reject case fails with ``QueryRejected`` and leaves the file
byte-for-byte unchanged, with no journal or WAL left behind; every
must-allow case runs. One database file serves the whole module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conexor.sandbox import RULES, Limits, QueryRejected, check, create_database_engine, run_query
from conexor.sandbox.execute import _execute
from conexor.schema import Snapshot, introspect

from .analytics import build_sqlite, sqlite_fingerprint
from .suite import Case, load, params


@dataclass
class Analytics:
    path: Path
    engine: Engine
    snapshot: Snapshot


@pytest.fixture(scope="module")
def analytics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analytics]:
    path = tmp_path_factory.mktemp("suite") / "analytics.db"
    build_sqlite(path)
    engine = create_database_engine(f"sqlite:///{path}", pool_size=1)
    try:
        yield Analytics(path, engine, introspect(engine))
    finally:
        engine.dispose()


def test_suite_sizes() -> None:
    rejects = load("reject", "sqlite")
    assert len(rejects) >= 30
    assert len(load("allow", "sqlite")) >= 50
    assert len({case.cls for case in rejects}) >= 15


@pytest.mark.parametrize("case", params("reject", "sqlite"))
def test_reject(analytics: Analytics, case: Case) -> None:
    before = sqlite_fingerprint(analytics.path)
    with pytest.raises(QueryRejected) as caught:
        run_query(analytics.engine, case.sql, "sqlite", Limits(), snapshot=analytics.snapshot)
    rejected = caught.value
    assert rejected.rule in RULES
    assert rejected.rule.startswith("deny.")
    assert rejected.public and "\n" not in rejected.public
    if case.rule is not None:
        assert rejected.rule == case.rule, rejected.public
    assert sqlite_fingerprint(analytics.path) == before


@pytest.mark.parametrize("case", params("allow", "sqlite"))
def test_allow(analytics: Analytics, case: Case) -> None:
    verdict = check(case.sql, "sqlite", snapshot=analytics.snapshot)
    assert verdict.allowed, verdict.reason
    result = run_query(analytics.engine, case.sql, "sqlite", Limits(), snapshot=analytics.snapshot)
    assert result.columns


def test_allow_suite_changes_nothing(analytics: Analytics) -> None:
    before = sqlite_fingerprint(analytics.path)
    for case in load("allow", "sqlite"):
        run_query(analytics.engine, case.sql, "sqlite", Limits(max_rows=5))
    assert sqlite_fingerprint(analytics.path) == before


def test_execution_layer_refuses_writes_alone(analytics: Analytics) -> None:
    before = sqlite_fingerprint(analytics.path)
    for sql in (
        "DELETE FROM orders",
        "CREATE TEMP TABLE t (id INTEGER)",
        "SELECT 1; DELETE FROM orders",
        "PRAGMA query_only = OFF",
    ):
        # Refusing is fine; what matters is that the file does not change.
        with contextlib.suppress(Exception):
            _execute(analytics.engine, sql, "sqlite", Limits())
    # Even PRAGMA query_only = OFF does not help: the file is opened read-only.
    with pytest.raises(Exception):  # noqa: B017, PT011
        _execute(analytics.engine, "DELETE FROM orders", "sqlite", Limits())
    assert sqlite_fingerprint(analytics.path) == before
