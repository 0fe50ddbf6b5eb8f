"""Keep driver text out of everything a user or a log sees.

Driver exceptions can repeat a DSN, a password or a row value, so the sandbox
keeps only a stable error code from them (:func:`sqlstate_of`) and a short
description it wrote itself (:func:`describe`). :func:`redact` is for the rare
place where free text must be logged anyway.

Codes:

- PostgreSQL: the five-character SQLSTATE (``42P01``).
- MySQL/MariaDB: ``MY`` and the server or client error number (``MY1146``).
- SQLite: the primary result code name (``SQLITE_ERROR``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from typing import Final

import psycopg
import pymysql

__all__ = ["describe", "redact", "sqlstate_of"]

_PG_SQLSTATE = re.compile(r"^[0-9A-Z]{5}$")
_SQLITE_NAME = re.compile(r"^SQLITE_[A-Z_]{1,40}$")

_PG_CODES: Final = {
    "42P01": "undefined table",
    "42703": "undefined column",
    "42883": "undefined function",
    "42601": "syntax error",
    "42501": "insufficient privilege",
    "42P02": "undefined parameter",
    "42804": "datatype mismatch",
    "42702": "ambiguous column",
    "42803": "grouping error",
    "3F000": "invalid schema name",
    "3D000": "invalid catalog name",
    "25006": "read-only SQL transaction",
    "57014": "query canceled",
    "55P03": "lock not available",
    "22012": "division by zero",
    "22P02": "invalid text representation",
    "28P01": "invalid password",
    "28000": "invalid authorization specification",
    "53300": "too many connections",
    "57P01": "admin shutdown",
    "57P03": "cannot connect now",
}

_PG_CLASSES: Final = {
    "08": "connection exception",
    "0A": "feature not supported",
    "21": "cardinality violation",
    "22": "data exception",
    "23": "integrity constraint violation",
    "25": "invalid transaction state",
    "28": "invalid authorization specification",
    "3D": "invalid catalog name",
    "3F": "invalid schema name",
    "40": "transaction rollback",
    "42": "syntax error or access rule violation",
    "53": "insufficient resources",
    "54": "program limit exceeded",
    "55": "object not in prerequisite state",
    "57": "operator intervention",
    "58": "system error",
    "XX": "internal error",
}

_MYSQL_CODES: Final = {
    1044: "access denied to database",
    1045: "access denied",
    1046: "no database selected",
    1049: "unknown database",
    1052: "ambiguous column",
    1054: "unknown column",
    1064: "syntax error",
    1142: "command denied",
    1143: "column access denied",
    1146: "table does not exist",
    1227: "access denied; missing privilege",
    1248: "derived table needs an alias",
    1305: "function does not exist",
    1317: "query interrupted",
    1365: "division by zero",
    1792: "read-only transaction",
    1969: "statement timeout",
    3024: "statement timeout",
    2003: "cannot connect to server",
    2005: "unknown server host",
    2006: "server has gone away",
    2013: "lost connection to server",
}

_SQLITE_CODES: Final = {
    "SQLITE_ERROR": "SQL error or missing table or column",
    "SQLITE_READONLY": "attempt to write a read-only database",
    "SQLITE_INTERRUPT": "query interrupted",
    "SQLITE_BUSY": "database is locked",
    "SQLITE_LOCKED": "table is locked",
    "SQLITE_CANTOPEN": "unable to open the database file",
    "SQLITE_NOTADB": "file is not a database",
    "SQLITE_CORRUPT": "database file is malformed",
    "SQLITE_AUTH": "not authorized",
    "SQLITE_PERM": "access permission denied",
    "SQLITE_TOOBIG": "value too big",
    "SQLITE_NOMEM": "out of memory",
}


def sqlstate_of(exc: BaseException) -> str | None:
    """Return the stable error code carried by a driver exception, or None.

    SQLAlchemy wrappers are unwrapped first. The result is checked against the
    code's shape, so it is safe to show even if a driver put text there.
    """
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        exc = orig
    if isinstance(exc, psycopg.Error):
        state = exc.sqlstate
        return state if state is not None and _PG_SQLSTATE.match(state) else None
    if isinstance(exc, pymysql.err.MySQLError):
        errno = exc.args[0] if exc.args else None
        if isinstance(errno, int) and not isinstance(errno, bool) and 0 < errno < 100_000:
            return f"MY{errno}"
        return None
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", None)
        return name if isinstance(name, str) and _SQLITE_NAME.match(name) else None
    return None


def describe(sqlstate: str | None) -> str:
    """A few safe words for an error code from :func:`sqlstate_of`."""
    if sqlstate is None:
        return "database error"
    if sqlstate.startswith("MY") and sqlstate[2:].isdigit():
        return _MYSQL_CODES.get(int(sqlstate[2:]), "MySQL error")
    if sqlstate.startswith("SQLITE_"):
        return _SQLITE_CODES.get(sqlstate, "SQLite error")
    if _PG_SQLSTATE.match(sqlstate):
        return _PG_CODES.get(sqlstate) or _PG_CLASSES.get(sqlstate[:2], "database error")
    return "database error"


# scheme://anything@anything, up to whitespace or a quote.
_URL_WITH_CREDENTIALS = re.compile(r"""[A-Za-z][A-Za-z0-9+.\-]*://[^\s'"<>]*@[^\s'"<>]*""")
# libpq key/value DSNs: password=secret or password='secret'.
_KV_PASSWORD = re.compile(r"""(password\s*=\s*)('[^']*'|"[^"]*"|\S+)""", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Remove URLs with credentials, ``password=`` values and listed secrets."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_WITH_CREDENTIALS.sub("<redacted url>", text)
    return _KV_PASSWORD.sub(r"\1***", text)
