"""Engines for the customer's database, and how their connection failures read.

One engine per database, with settings chosen for a read-only gateway:

- PostgreSQL (psycopg 3): ``connect_timeout``, ``application_name=conexor``
  so a DBA can see and kill our sessions.
- MySQL/MariaDB (PyMySQL): ``connect_timeout``, ``client_flag=0`` so the
  server never accepts several statements in one call (checked again on every
  new connection), ``local_infile`` off, and every session set to
  ``SET SESSION TRANSACTION READ ONLY``.
- SQLite: the file is opened through a ``file:...?mode=ro`` URI, so a typo in
  the path fails instead of creating an empty database, and the connection
  sets ``PRAGMA query_only = ON``. ``sqlite://`` (in memory) is refused: there
  is nothing to read in a fresh in-memory database.

Every pool pings before use and recycles connections after 30 minutes. Driver
errors are translated here into :mod:`conexor.sandbox.errors` types and raised
``from None``: their text can carry the host, the user or the URL.
"""

from __future__ import annotations

import math
import os
import socket
import sqlite3
from typing import Any, Final
from urllib.parse import quote

import psycopg
import pymysql
from pymysql.constants import CLIENT
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc

from conexor.sandbox.dialects import dialect_of_url, driver_url
from conexor.sandbox.errors import (
    DatabaseAuthFailed,
    DatabaseUnreachable,
    QueryFailed,
    SandboxError,
    UnsupportedDatabaseUrl,
)
from conexor.sandbox.scrub import sqlstate_of

__all__ = ["CONNECT_ERRORS", "connection_error", "create_database_engine", "probe"]

POOL_RECYCLE_S: Final = 1800

# What opening a pooled connection can raise: SQLAlchemy wraps driver errors,
# except those raised by a custom ``creator`` (SQLite), which arrive bare.
CONNECT_ERRORS: Final = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    psycopg.Error,
    pymysql.err.MySQLError,
    sqlite3.Error,
    OSError,
)

_MYSQL_AUTH_ERRNOS: Final = frozenset({1044, 1045, 1698, 1251})
_MYSQL_NETWORK_ERRNOS: Final = frozenset({2002, 2003, 2005, 2006, 2013, 2055})
_PG_AUTH_MARKERS: Final = (
    "password authentication failed",
    "authentication failed",
    "no pg_hba.conf entry",
    "does not exist",  # the role; a missing database is recognised first
    "password is required",
    "no password supplied",
)


def create_database_engine(
    url: str, *, pool_size: int = 10, connect_timeout_s: float = 10.0
) -> Engine:
    """Build a pooled engine for ``url`` with the sandbox's connection settings.

    Connecting is lazy; call :func:`probe` to find out whether the database
    answers. Raises :class:`UnsupportedDatabaseUrl` for a URL it cannot use.
    """
    dialect = dialect_of_url(url)
    target = driver_url(url)
    pooling: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_recycle": POOL_RECYCLE_S,
        "pool_size": pool_size,
        "max_overflow": pool_size,
        "pool_timeout": connect_timeout_s,
    }
    if dialect == "postgresql":
        # No ping per checkout: the executor replaces a connection found dead.
        pooling["pool_pre_ping"] = False
        return create_engine(
            target,
            connect_args={
                # libpq takes whole seconds; round up so a small value never means "forever".
                "connect_timeout": max(1, math.ceil(connect_timeout_s)),
                "application_name": "conexor",
                # Every session ends with DISCARD ALL, which drops prepared statements.
                "prepare_threshold": None,
            },
            **pooling,
        )
    if dialect == "mysql":
        engine = create_engine(
            target.difference_update_query(["client_flag", "local_infile"]),
            connect_args={
                "connect_timeout": connect_timeout_s,
                "client_flag": 0,
                "local_infile": False,
                "charset": "utf8mb4",
            },
            **pooling,
        )
        event.listen(engine, "connect", _prepare_mysql_session)
        return engine
    path = target.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise UnsupportedDatabaseUrl("SQLite URLs must name a database file: sqlite:///path")
    return create_engine(
        target,
        creator=_sqlite_creator(os.path.abspath(path), connect_timeout_s),
        **pooling,
    )


def _sqlite_creator(path: str, busy_timeout_s: float) -> Any:
    uri = f"file:{quote(path)}?mode=ro"

    def connect() -> sqlite3.Connection:
        # check_same_thread=False: the pool hands connections to worker
        # threads, one at a time.
        conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn

    return connect


def _prepare_mysql_session(dbapi_connection: Any, _record: Any) -> None:
    """Refuse stacked statements and make every transaction read-only by default."""
    flags = getattr(dbapi_connection, "client_flag", 0)
    if flags & CLIENT.MULTI_STATEMENTS:
        dbapi_connection.close()
        raise SandboxError("the MySQL connection allows multiple statements; refusing to use it")
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    finally:
        cursor.close()


def probe(engine: Engine) -> None:
    """Open one connection and run a trivial query, or raise a sandbox error.

    Raises :class:`DatabaseAuthFailed`, :class:`DatabaseUnreachable` or
    :class:`QueryFailed`, always ``from None``.
    """
    try:
        raw = engine.raw_connection()
    except CONNECT_ERRORS as exc:
        raise connection_error(exc) from None
    try:
        cursor = raw.cursor()
        try:
            cursor.execute("SELECT 1")
            cursor.fetchall()
        finally:
            cursor.close()
        raw.rollback()
    except (psycopg.Error, pymysql.err.MySQLError, sqlite3.Error, OSError) as exc:
        raw.invalidate()
        raise connection_error(exc) from None
    finally:
        raw.close()


def connection_error(exc: BaseException) -> SandboxError:
    """Translate a failure to connect into the sandbox error a user should see."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        exc = orig
    if isinstance(exc, sa_exc.TimeoutError | socket.gaierror | ConnectionError | TimeoutError):
        return DatabaseUnreachable()
    if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
        return _pg_connection_error(exc)
    if isinstance(exc, pymysql.err.MySQLError):
        errno = exc.args[0] if exc.args else None
        if errno in _MYSQL_AUTH_ERRNOS:
            return DatabaseAuthFailed()
        if errno in _MYSQL_NETWORK_ERRNOS:
            return DatabaseUnreachable()
    state = sqlstate_of(exc)
    if state in ("28P01", "28000"):
        return DatabaseAuthFailed()
    if state is not None and state.startswith("08"):
        return DatabaseUnreachable()
    if state in ("SQLITE_CANTOPEN", "SQLITE_NOTADB"):
        return DatabaseUnreachable()
    if isinstance(exc, OSError):
        return DatabaseUnreachable()
    return QueryFailed(state)


def _pg_connection_error(exc: psycopg.OperationalError) -> SandboxError:
    # libpq reports connection failures without a SQLSTATE; the message is the
    # only signal. It is read here and never shown.
    text = str(exc)
    if "FATAL:" not in text:
        return DatabaseUnreachable()
    detail = text.split("FATAL:", 1)[1].lower()
    if detail.strip().startswith("database") and "does not exist" in detail:
        return QueryFailed("3D000")
    if "too many" in detail:
        return QueryFailed("53300")
    if any(marker in detail for marker in _PG_AUTH_MARKERS):
        return DatabaseAuthFailed()
    return QueryFailed("08004")
