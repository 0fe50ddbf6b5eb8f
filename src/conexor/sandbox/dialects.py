"""Which SQL dialect a connection URL speaks, and which driver runs it.

Users give SQLAlchemy-style URLs (``postgresql://``, ``mysql://``,
``mariadb://``, ``sqlite:///path``). The sandbox always runs them through the
drivers it is tested with (psycopg 3, PyMySQL, the standard ``sqlite3``), so a
URL naming another driver is mapped to ours rather than trusted. Errors never
echo the URL, because it usually carries a password.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from conexor.sandbox.errors import UnsupportedDatabaseUrl

__all__ = ["Dialect", "dialect_of_url", "driver_url"]

Dialect = Literal["postgresql", "mysql", "sqlite"]

# Backend name -> (dialect, accepted driver suffixes). A suffix only tells us
# the user's habit; the connection always goes through our own driver.
_BACKENDS: dict[str, tuple[Dialect, frozenset[str]]] = {
    "postgresql": ("postgresql", frozenset({"", "psycopg", "psycopg2", "pg8000", "asyncpg"})),
    "postgres": ("postgresql", frozenset({"", "psycopg", "psycopg2"})),
    "mysql": ("mysql", frozenset({"", "pymysql", "mysqldb", "mysqlconnector"})),
    "mariadb": ("mysql", frozenset({"", "pymysql", "mysqldb", "mysqlconnector"})),
    "sqlite": ("sqlite", frozenset({"", "pysqlite"})),
}

_DRIVERS: dict[Dialect, str] = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "sqlite": "sqlite",
}


def dialect_of_url(url: str) -> Dialect:
    """Return the dialect a URL speaks, judged from its scheme alone.

    Raises :class:`UnsupportedDatabaseUrl` (without echoing the URL) for any
    other scheme.
    """
    scheme, sep, _ = url.strip().partition("://")
    if not sep:
        raise UnsupportedDatabaseUrl()
    backend, _, driver = scheme.lower().partition("+")
    entry = _BACKENDS.get(backend)
    if entry is None or driver not in entry[1]:
        raise UnsupportedDatabaseUrl()
    return entry[0]


def driver_url(url: str) -> URL:
    """Parse ``url`` and point it at the driver the sandbox uses for its dialect."""
    dialect = dialect_of_url(url)
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError):
        # The driver's message repeats the URL; ours does not.
        raise UnsupportedDatabaseUrl() from None
    return parsed.set(drivername=_DRIVERS[dialect])
