"""Replicas starting at once: migrations take a lock, so exactly one runs them."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from conexor.store import migrate, open_store_engine
from tests.cluster.test_replicas import store_url  # noqa: F401 - the fixture

pytestmark = pytest.mark.postgres


def test_concurrent_migrations_on_a_fresh_store(store_url: str) -> None:  # noqa: F811
    engines = [open_store_engine(store_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def replica(index: int) -> None:
        start.wait()
        try:
            migrate(engines[index])
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert errors == []
        with engines[0].connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1
    finally:
        for engine in engines:
            engine.dispose()
