"""Connection failures map to safe errors that never carry the URL or password."""

from __future__ import annotations

import pytest
from pymysql.constants import CLIENT
from sqlalchemy import Engine

from conexor.sandbox import (
    DatabaseAuthFailed,
    DatabaseUnreachable,
    SandboxError,
    UnsupportedDatabaseUrl,
    create_database_engine,
    dialect_of_url,
    driver_url,
    probe,
)

from .conftest import MARIADB_HOST, MARIADB_PORT, PG_HOST, PG_PORT, mariadb_admin, pg_admin

CANARY = "canary-Pa55word-7f3a9c"


def _assert_clean(error: SandboxError, url: str) -> None:
    for text in (str(error), error.public, repr(error)):
        assert CANARY not in text
        assert url not in text
        assert "://" not in text
    assert error.__cause__ is None
    assert error.__suppress_context__


def _probe_error(url: str) -> SandboxError:
    engine = create_database_engine(url, connect_timeout_s=3)
    try:
        with pytest.raises(SandboxError) as caught:
            probe(engine)
    finally:
        engine.dispose()
    _assert_clean(caught.value, url)
    return caught.value


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("postgresql://u@h/db", "postgresql"),
        ("postgres://u@h/db", "postgresql"),
        ("postgresql+psycopg://u@h/db", "postgresql"),
        ("POSTGRESQL://u@h/db", "postgresql"),
        ("mysql://u@h/db", "mysql"),
        ("mariadb://u@h/db", "mysql"),
        ("mysql+pymysql://u@h/db", "mysql"),
        ("sqlite:///shop.db", "sqlite"),
    ],
)
def test_dialect_of_url(url: str, dialect: str) -> None:
    assert dialect_of_url(url) == dialect


@pytest.mark.parametrize(
    "url",
    [
        f"oracle://scott:{CANARY}@h/db",
        f"mssql+pyodbc://sa:{CANARY}@h/db",
        f"postgresql+evil://u:{CANARY}@h/db",
        f"u:{CANARY}@h/db",
        "",
    ],
)
def test_unsupported_url_is_not_echoed(url: str) -> None:
    with pytest.raises(UnsupportedDatabaseUrl) as caught:
        dialect_of_url(url)
    assert caught.value.public == (
        "unsupported database URL scheme; use postgresql://, mysql://, mariadb:// or sqlite:///"
    )
    if url:
        assert CANARY not in str(caught.value)


def test_driver_url_maps_to_our_drivers() -> None:
    assert driver_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert driver_url("mariadb://u@h/db").drivername == "mysql+pymysql"
    assert driver_url("mysql+mysqldb://u@h/db").drivername == "mysql+pymysql"
    assert driver_url("sqlite:///x.db").drivername == "sqlite"


@pytest.mark.postgres
def test_pg_unreachable_port() -> None:
    pg_admin().close()
    error = _probe_error(f"postgresql://postgres:{CANARY}@127.0.0.1:1/test")
    assert isinstance(error, DatabaseUnreachable)
    assert error.public == "the database could not be reached"


@pytest.mark.postgres
def test_pg_unknown_role_is_an_auth_failure() -> None:
    # The local server trusts every known role, so a wrong password would be
    # accepted; an unknown role is refused in the same authentication step.
    pg_admin().close()
    error = _probe_error(f"postgresql://no_such_role_x9:{CANARY}@{PG_HOST}:{PG_PORT}/test")
    assert isinstance(error, DatabaseAuthFailed)
    assert error.public == "the database rejected the credentials"


@pytest.mark.mariadb
def test_mariadb_wrong_password() -> None:
    mariadb_admin().close()
    error = _probe_error(f"mysql://root:{CANARY}@{MARIADB_HOST}:{MARIADB_PORT}/test")
    assert isinstance(error, DatabaseAuthFailed)


@pytest.mark.mariadb
def test_mariadb_unreachable_port() -> None:
    mariadb_admin().close()
    error = _probe_error(f"mariadb://root:{CANARY}@127.0.0.1:1/test")
    assert isinstance(error, DatabaseUnreachable)


def test_unknown_host_is_unreachable() -> None:
    error = _probe_error(f"postgresql://u:{CANARY}@no-such-host.invalid/db")
    assert isinstance(error, DatabaseUnreachable)


@pytest.mark.mariadb
def test_mariadb_connections_refuse_multi_statements(mariadb_engine: Engine) -> None:
    with mariadb_engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert not raw.client_flag & CLIENT.MULTI_STATEMENTS
        conn.rollback()


@pytest.mark.postgres
def test_pg_probe_succeeds(pg_engine: Engine) -> None:
    probe(pg_engine)
