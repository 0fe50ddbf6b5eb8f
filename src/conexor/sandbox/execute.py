"""Run one validated query read-only, bounded in rows, bytes and time.

The layers, in order (docs/sandbox.md explains each):

1. :func:`run_query` checks the statement itself with the same policy and
   schema snapshot (:func:`conexor.sandbox.validate.assess_again`: when this
   process has just decided the same text for the very same policy and
   snapshot objects, usually the tool a moment before, that decision is
   reused); nothing here ever sends SQL that did not pass.
2. The statement runs inside a read-only transaction with a server-side
   timeout:

   - PostgreSQL: ``BEGIN TRANSACTION READ ONLY`` (then checked), and
     ``statement_timeout``, ``lock_timeout`` and
     ``idle_in_transaction_session_timeout`` set locally. The same round trip
     asks the catalog whether a built-in the query calls without a schema is
     shadowed by a same-named function on the search path, or whether a cast
     targets a domain (whose CHECK can call functions); either is refused.
     The SQL goes over
     the extended protocol (psycopg's ``stream``), whose Parse message holds
     exactly one statement, so ``SELECT 1; DELETE ...`` cannot reach the
     server even if validation were bypassed. Rows arrive in chunks no
     larger than the row cap needs, so a huge result is never buffered;
     stopping early cancels the rest. Opening and checking the transaction
     is one pipelined round trip, the query another, and the rollback with
     the reset a third; pooled connections are not pinged first (one found
     dead before the query is sent is replaced once).
   - MySQL/MariaDB: ``SET SESSION TRANSACTION READ ONLY`` (DDL commits
     implicitly, leaving any transaction) and ``START TRANSACTION READ
     ONLY``; on MariaDB the query is
     wrapped in ``SET STATEMENT max_statement_time=<s>, lock_wait_timeout=<s>
     FOR``, on MySQL the
     session's ``max_execution_time`` is set. The connection never has
     ``CLIENT.MULTI_STATEMENTS``. An unbuffered cursor streams rows; a
     connection left with unread rows or an error is discarded.
   - SQLite: the file is opened read-only with ``PRAGMA query_only = ON``; a
     progress handler aborts the statement at the deadline.

3. Rows are fetched with ``fetchmany`` up to ``max_rows + 1`` (never
   ``fetchall``) and converted to JSON-safe values; the result is marked
   ``truncated`` past ``max_rows`` rows or ``max_bytes`` of JSON.
4. The transaction is always rolled back, and a PostgreSQL connection is
   reset with ``DISCARD ALL`` (settings, prepared statements, cursors,
   advisory locks, temporary objects) before it goes back to the pool. A
   connection whose state is in doubt is invalidated instead.

Bound parameters (named tools) travel beside the SQL, never inside it: the
statement holds positional placeholders (``$1`` for PostgreSQL, ``?``
otherwise) and the values go to the driver. PostgreSQL binds them on the
server (extended protocol), SQLite in its own engine; PyMySQL escapes them
client-side for the connection's character set and SQL mode, since MySQL's
text protocol has no binding (:mod:`conexor.sandbox.placeholders`).

Driver errors become :class:`QueryTimeout` or :class:`QueryFailed` (SQLSTATE
only), raised ``from None``.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, cast

import psycopg
import pymysql
import pymysql.cursors
from pymysql.constants import CLIENT
from sqlalchemy import Engine

from conexor.sandbox.connect import CONNECT_ERRORS, connection_error
from conexor.sandbox.dialects import Dialect
from conexor.sandbox.errors import (
    DatabaseUnreachable,
    QueryFailed,
    QueryRejected,
    QueryTimeout,
    SandboxError,
)
from conexor.sandbox.jsonsafe import JsonValue, json_safe_row
from conexor.sandbox.limits import Limits
from conexor.sandbox.placeholders import pyformat
from conexor.sandbox.policy import Policy
from conexor.sandbox.scrub import sqlstate_of
from conexor.sandbox.validate import assess_again
from conexor.sandbox.walk_pg import PgFacts
from conexor.schema import Snapshot

__all__ = ["QueryResult", "run_query"]

_PG_TIMEOUT_STATES: Final = frozenset({"57014", "55P03"})
_MYSQL_TIMEOUT_ERRNOS: Final = frozenset({1969, 3024})
_FETCH_CHUNK: Final = 100
_PG_CHUNK_ROWS: Final = 500
# One encoder for every row: json.dumps with options builds a new one per call.
_encode_row: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_SQLITE_PROGRESS_STEPS: Final = 1000


@dataclass(frozen=True)
class QueryResult:
    """Columns and JSON-safe rows of one query; ``truncated`` when a cap cut it short."""

    columns: list[str]
    rows: list[list[JsonValue]]
    row_count: int
    truncated: bool


def run_query(
    engine: Engine,
    sql: str,
    dialect: Dialect,
    limits: Limits,
    *,
    policy: Policy | None = None,
    snapshot: Snapshot | None = None,
    params: Sequence[JsonValue] | None = None,
) -> QueryResult:
    """Validate ``sql`` again (with ``policy`` and ``snapshot``) and run it read-only.

    ``params`` are bound to the statement's positional placeholders by the
    driver (None: the statement takes none). Blocking; callers run it in a
    worker thread. Raises
    :class:`QueryRejected`, :class:`QueryTimeout`, :class:`QueryFailed`,
    :class:`DatabaseUnreachable` or :class:`DatabaseAuthFailed`.
    """
    verdict, facts = assess_again(sql, dialect, policy, snapshot)
    if not verdict.allowed:
        raise QueryRejected(verdict.rule, verdict.reason)
    return _execute(engine, sql, dialect, limits, facts=facts, params=params)


@dataclass
class _Collector:
    """Accumulates rows until a row or byte cap is reached."""

    limits: Limits
    rows: list[list[JsonValue]] = field(default_factory=list)
    size: int = 0
    truncated: bool = False

    def add(self, row: Sequence[Any]) -> bool:
        """Keep ``row`` if it fits; return False once the caller should stop fetching."""
        if len(self.rows) >= self.limits.max_rows:
            self.truncated = True
            return False
        safe = json_safe_row(row)
        size = len(_encode_row(safe).encode("utf-8"))
        if self.size + size > self.limits.max_bytes:
            self.truncated = True
            return False
        self.rows.append(safe)
        self.size += size
        return True

    def result(self, description: Iterable[Sequence[Any]] | None) -> QueryResult:
        columns = [str(column[0]) for column in description or ()]
        return QueryResult(
            columns=columns, rows=self.rows, row_count=len(self.rows), truncated=self.truncated
        )


@dataclass
class _Lease:
    """Whether the connection may go back to the pool after the query."""

    reusable: bool = True


def _execute(
    engine: Engine,
    sql: str,
    dialect: Dialect,
    limits: Limits,
    *,
    facts: PgFacts | None = None,
    params: Sequence[JsonValue] | None = None,
) -> QueryResult:
    """Run ``sql`` with every execution-layer guard but WITHOUT validation.

    Private on purpose: only :func:`run_query` calls it, after :func:`check`.
    Tests call it directly to prove the execution layer holds on its own.
    """
    # PostgreSQL connections are not pinged when taken from the pool (a round
    # trip per call); one found dead before anything ran is replaced once.
    for attempt in (1, 2):
        try:
            raw = engine.raw_connection()
        except CONNECT_ERRORS as exc:
            raise connection_error(exc) from None
        lease = _Lease()
        try:
            driver = raw.driver_connection
            if dialect == "postgresql":
                assert isinstance(driver, psycopg.Connection)
                return _run_postgres(driver, sql, limits, lease, facts or PgFacts(), params)
            if dialect == "mysql":
                assert isinstance(driver, pymysql.connections.Connection)
                return _run_mysql(driver, sql, limits, lease, params)
            assert isinstance(driver, sqlite3.Connection)
            return _run_sqlite(driver, sql, limits, params)
        except _StaleConnection:
            if attempt == 2:
                raise DatabaseUnreachable() from None
        finally:
            _release(raw, lease)
    raise AssertionError("unreachable")


class _StaleConnection(Exception):
    """The pooled connection failed before the query was sent."""


def _release(raw: Any, lease: _Lease) -> None:
    """Always roll back; discard the connection if that fails or its state is unknown."""
    try:
        if lease.reusable:
            try:
                driver = raw.driver_connection
                if isinstance(driver, psycopg.Connection):
                    _reset_postgres(driver)
                else:
                    driver.rollback()
            except (psycopg.Error, pymysql.err.MySQLError, sqlite3.Error, OSError):
                lease.reusable = False
        if not lease.reusable:
            raw.invalidate()
    finally:
        raw.close()


def _driver_error(exc: BaseException, limits: Limits) -> SandboxError:
    state = sqlstate_of(exc)
    if state in _PG_TIMEOUT_STATES:
        return QueryTimeout(limits.timeout_s)
    if state is not None and state.startswith("MY") and int(state[2:]) in _MYSQL_TIMEOUT_ERRNOS:
        return QueryTimeout(limits.timeout_s)
    if state is None and isinstance(exc, psycopg.OperationalError | OSError):
        # No SQLSTATE on an operational error: the connection itself failed.
        return connection_error(exc)
    if state is not None and state.startswith("MY") and int(state[2:]) >= 2000:
        # 2xxx are client-side errors: lost connection, server gone away.
        return connection_error(exc)
    return QueryFailed(state)


# --- PostgreSQL --------------------------------------------------------------

# One round trip: read-only check, local timeouts, and the shadowing checks.
# Only schemas on the search path can shadow an unqualified call.
_PG_SETUP: Final = (
    "SELECT current_setting('transaction_read_only'),"
    " set_config('statement_timeout', %(timeout)s, true),"
    " set_config('lock_timeout', %(timeout)s, true),"
    " set_config('idle_in_transaction_session_timeout', %(timeout)s, true),"
    " (SELECT array_agg(DISTINCT n.nspname || '.' || p.proname)"
    "  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
    "  WHERE p.proname = ANY(%(calls)s::text[]) AND n.nspname <> 'pg_catalog'"
    "  AND n.nspname = ANY(pg_catalog.current_schemas(true))),"
    " (SELECT array_agg(DISTINCT n.nspname || '.' || t.typname)"
    "  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
    "  WHERE t.typname = ANY(%(types)s::text[]) AND t.typtype = 'd'"
    "  AND n.nspname NOT IN ('pg_catalog', 'information_schema'))"
)


def _reset_postgres(conn: psycopg.Connection[Any]) -> None:
    """End the transaction and return the session to its initial state: one round trip."""
    if not conn.autocommit:
        conn.rollback()
        conn.autocommit = True
    with conn.pipeline():
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        conn.execute("DISCARD ALL")


def _shadow_rejection(shadowed: list[str] | None, domains: list[str] | None) -> None:
    if shadowed:
        schema, _, name = shadowed[0].partition(".")
        raise QueryRejected(
            "deny.function_shadowed",
            f"function {name} is also defined in schema {schema}, which could run instead of the"
            f" built-in: write pg_catalog.{name}, or ask an admin to add it to the database policy",
        )
    if domains:
        raise QueryRejected(
            "deny.type_not_allowed",
            f"type {domains[0]} is a domain, whose CHECK constraint can call functions: cast to"
            " its base type instead",
        )


def _run_postgres(
    conn: psycopg.Connection[Any],
    sql: str,
    limits: Limits,
    lease: _Lease,
    facts: PgFacts,
    params: Sequence[JsonValue] | None = None,
) -> QueryResult:
    """Three round trips: begin and check, the query, roll back and reset.

    The connection runs in autocommit mode and the transaction is opened
    explicitly, so the first and last steps each go out as one pipeline.
    """
    timeout = f"{max(1, round(limits.timeout_s * 1000))}ms"
    collector = _Collector(limits)
    try:
        _enter_read_only(conn, timeout, facts, lease)
    except psycopg.Error as exc:
        if exc.sqlstate is None:
            # Nothing ran yet: a connection that died while pooled is retried once.
            lease.reusable = False
            raise _StaleConnection() from None
        raise _driver_error(exc, limits) from None
    try:
        # stream() always uses the extended protocol; a RawCursor sends $n
        # placeholders as written and the values in Bind. Rows arrive in chunks
        # no larger than the row cap allows, and closing early cancels the rest.
        runner: psycopg.Cursor[Any] = conn.cursor() if params is None else psycopg.RawCursor(conn)
        chunk = max(1, min(limits.max_rows + 1, _PG_CHUNK_ROWS))
        with runner:
            stream = cast(
                Generator[Any, None, None],
                runner.stream(sql, None if params is None else list(params), size=chunk),
            )
            try:
                for row in stream:
                    if not collector.add(row):
                        break
            finally:
                stream.close()
            if runner.description is None:
                # A stream that yields no rows leaves no description behind.
                return replace(collector.result(None), columns=_pg_columns(conn, sql))
            return collector.result(runner.description)
    except psycopg.Error as exc:
        if exc.sqlstate is None:
            lease.reusable = False
        raise _driver_error(exc, limits) from None


def _enter_read_only(
    conn: psycopg.Connection[Any], timeout: str, facts: PgFacts, lease: _Lease
) -> None:
    """Open a read-only transaction, set its timeouts and run the catalog checks: one round trip."""
    if not conn.autocommit:
        conn.rollback()  # a connection new to the sandbox may hold a pool ping's transaction
        conn.autocommit = True
    with conn.cursor() as cur:
        with conn.pipeline():
            cur.execute("BEGIN TRANSACTION READ ONLY")
            cur.execute(
                _PG_SETUP,
                {"timeout": timeout, "calls": sorted(facts.calls), "types": sorted(facts.types)},
            )
        settings = cur.fetchone()
    if settings is None or settings[0] != "on":
        lease.reusable = False
        raise QueryFailed("25000")
    _shadow_rejection(settings[4], settings[5])


def _pg_columns(conn: psycopg.Connection[Any], sql: str) -> list[str]:
    """Column names of ``sql`` from Parse + Describe of the unnamed statement.

    Parse never executes, and takes exactly one statement.
    """
    encoding = conn.info.encoding
    prepared = conn.pgconn.prepare(b"", sql.encode(encoding))
    if prepared.status != psycopg.pq.ExecStatus.COMMAND_OK:
        return []
    described = conn.pgconn.describe_prepared(b"")
    if described.status != psycopg.pq.ExecStatus.COMMAND_OK:
        return []
    return [(described.fname(i) or b"").decode(encoding) for i in range(described.nfields)]


# --- MySQL / MariaDB ---------------------------------------------------------


def _run_mysql(
    conn: pymysql.connections.Connection[Any],
    sql: str,
    limits: Limits,
    lease: _Lease,
    params: Sequence[JsonValue] | None = None,
) -> QueryResult:
    if conn.client_flag & CLIENT.MULTI_STATEMENTS:
        lease.reusable = False
        raise SandboxError("the MySQL connection allows multiple statements; refusing to use it")
    collector = _Collector(limits)
    if params is not None:
        # PyMySQL's format style: %s for each ? and every literal % doubled.
        sql = pyformat(sql, len(params))
    try:
        conn.rollback()
        mariadb = "mariadb" in conn.get_server_info().lower()  # type: ignore[no-untyped-call]
        with conn.cursor() as setup:
            # DDL commits implicitly and would run outside a read-only
            # transaction; a read-only session refuses it as well.
            setup.execute("SET SESSION TRANSACTION READ ONLY")
            setup.execute("START TRANSACTION READ ONLY")
            if mariadb:
                waits = max(1, math.ceil(limits.timeout_s))
                statement = (
                    f"SET STATEMENT max_statement_time={limits.timeout_s:.3f},"
                    f" lock_wait_timeout={waits}, innodb_lock_wait_timeout={waits} FOR {sql}"
                )
            else:
                setup.execute(
                    "SET SESSION max_execution_time = %s", (max(1, round(limits.timeout_s * 1000)),)
                )
                statement = sql
        cur = conn.cursor(pymysql.cursors.SSCursor)
        # Until every row is read the connection is in the middle of a result.
        lease.reusable = False
        cur.execute(statement, None if params is None else tuple(params))
        want = limits.max_rows + 1
        fetched = 0
        stopped = False
        while not stopped and fetched < want:
            batch = cur.fetchmany(min(_FETCH_CHUNK, want - fetched))
            if not batch:
                break
            fetched += len(batch)
            for row in batch:
                if not collector.add(row):
                    stopped = True
                    break
        result = collector.result(cur.description)
        if not stopped and fetched < want:
            # The result was read to its end: the connection is clean again.
            cur.close()
            lease.reusable = True
        return result
    except pymysql.err.MySQLError as exc:
        lease.reusable = False
        raise _driver_error(exc, limits) from None


# --- SQLite ------------------------------------------------------------------


def _run_sqlite(
    conn: sqlite3.Connection, sql: str, limits: Limits, params: Sequence[JsonValue] | None = None
) -> QueryResult:
    deadline = time.monotonic() + limits.timeout_s
    expired = False

    def past_deadline() -> int:
        nonlocal expired
        if time.monotonic() > deadline:
            expired = True
            return 1
        return 0

    collector = _Collector(limits)
    conn.rollback()
    conn.execute("PRAGMA query_only = ON")
    conn.set_progress_handler(past_deadline, _SQLITE_PROGRESS_STEPS)
    cur = conn.cursor()
    try:
        # sqlite3 refuses a second statement in execute() on its own.
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(sql, tuple(params))
        want = limits.max_rows + 1
        fetched = 0
        while fetched < want:
            batch = cur.fetchmany(min(_FETCH_CHUNK, want - fetched))
            if not batch:
                break
            fetched += len(batch)
            if not all(collector.add(row) for row in batch):
                break
        return collector.result(cur.description)
    except sqlite3.Error as exc:
        if expired:
            raise QueryTimeout(limits.timeout_s) from None
        raise QueryFailed(sqlstate_of(exc)) from None
    finally:
        cur.close()
        conn.set_progress_handler(None, 0)
