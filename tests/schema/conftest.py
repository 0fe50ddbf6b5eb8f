"""Real database fixtures for the schema tests: unique databases, dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from schema_servers import MARIADB_ADMIN_URL, PG_ADMIN_URL
from sqlalchemy.exc import OperationalError
from tests.services import unavailable, unique

from conexor.sample import build_sample_database


def _admin(url: str) -> sa.Engine:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with engine.connect():
            pass
    except OperationalError:
        engine.dispose()
        unavailable(f"the {engine.dialect.name} test server")
    return engine


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "shop.db"
    build_sample_database(path)
    return path


@pytest.fixture
def pg_engine() -> Iterator[sa.Engine]:
    admin = _admin(PG_ADMIN_URL)
    name = unique("cnx_schema")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(sa.make_url(PG_ADMIN_URL).set(database=name), poolclass=sa.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def mariadb_engine() -> Iterator[sa.Engine]:
    admin = _admin(MARIADB_ADMIN_URL)
    name = unique("cnx_schema")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
    engine = sa.create_engine(
        sa.make_url(MARIADB_ADMIN_URL).set(database=name), poolclass=sa.NullPool
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()
