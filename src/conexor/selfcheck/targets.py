"""The databases the self-check uses, and the canaries each one carries.

- A throwaway SQLite file with a table whose rows hold a *control* value (a
  requested row, which must show up in query responses) and a *secret*
  value in a row no query asks for. Its path holds a canary directory name.
- The operator's own database (``CONEXOR_DB_URL``): its URL and password are
  the canaries; nothing is written to it.
- Broken URLs with a canary password: one whose password is wrong (same host
  as the operator's database) and one pointing at a closed port.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from conexor.selfcheck.canaries import MIN_CANARY_LENGTH, Canary, new_canary_text
from conexor.selfcheck.errors import SelfcheckError

__all__ = [
    "CANARY_TABLE",
    "FAILING_QUERY",
    "REJECTED_QUERY",
    "REQUESTED_QUERY",
    "REQUESTED_ROWS",
    "Target",
    "operator_target",
    "sqlite_target",
    "unreachable_url",
    "wrong_password_url",
]

CANARY_TABLE = "selfcheck_items"
REQUESTED_ROWS = 3
"""The requested query asks for ``id <= 3``; the secret row has id 999."""
REQUESTED_QUERY = "SELECT id, label FROM selfcheck_items WHERE id <= 3 ORDER BY id"
REJECTED_QUERY = "DELETE FROM selfcheck_items"
FAILING_QUERY = "SELECT no_such_column FROM selfcheck_items"


@dataclass(frozen=True)
class Target:
    """A database URL, its dialect, its canaries, and whether it holds the canary table."""

    url: str
    dialect: str
    canaries: tuple[Canary, ...]
    has_canary_table: bool
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Target(url='***', dialect={self.dialect!r}, table={self.has_canary_table})"


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def sqlite_target(directory: Path, purpose: str) -> Target:
    """Create ``<directory>/<canary>/<purpose>.db`` with the canary table; the caller deletes it."""
    folder_canary = new_canary_text(f"{purpose}-path")
    folder = directory / folder_canary
    folder.mkdir(mode=0o700)
    path = folder / f"{purpose}.db"
    control = new_canary_text(f"{purpose}-requested-row")
    secret = new_canary_text(f"{purpose}-unrequested-row")
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE {CANARY_TABLE} (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
        conn.executemany(
            f"INSERT INTO {CANARY_TABLE} VALUES (?, ?)",  # noqa: S608 - a constant table name
            [(i, f"{control}-{i}") for i in range(1, REQUESTED_ROWS + 1)] + [(999, secret)],
        )
    conn.close()
    url = f"sqlite:///{path}"
    return Target(
        url=url,
        dialect="sqlite",
        canaries=(
            Canary(f"{purpose} database URL", url),
            Canary(f"{purpose} database path", folder_canary),
            Canary(f"{purpose} unrequested row", secret),
            Canary(f"{purpose} requested row", control, frozenset({"HTTP response"})),
        ),
        has_canary_table=True,
    )


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise SelfcheckError("CONEXOR_DB_URL is not a valid database URL") from None


def operator_target(url: str) -> Target:
    """The operator's database: its URL and (when long enough to search) its password."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    dialect = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}.get(backend)
    if dialect is None and backend != "sqlite":
        raise SelfcheckError("CONEXOR_DB_URL must be a PostgreSQL, MySQL/MariaDB or SQLite URL")
    canaries = [Canary("cloud database URL", url)]
    notes: list[str] = []
    password = parsed.password if isinstance(parsed.password, str) else None
    if password and len(password) >= MIN_CANARY_LENGTH:
        canaries.append(Canary("cloud database password", password))
    elif password:
        notes.append(
            "the database password is too short to search for alone; it is searched inside the URL"
        )
    return Target(
        url, dialect or "sqlite", tuple(canaries), has_canary_table=False, notes=tuple(notes)
    )


def wrong_password_url(target: Target) -> tuple[str, Canary] | None:
    """The target's URL with a canary password (None for SQLite, which has no password)."""
    if target.dialect == "sqlite":
        return None
    password = new_canary_text("wrong-password", symbols=True)
    url = _render(_parse(target.url).set(password=password))
    return url, Canary("wrong password", password)


def unreachable_url(dialect: str) -> tuple[str, Canary]:
    """A URL with a canary password pointing at a closed port (1) on the server's own host."""
    password = new_canary_text("unreachable-password", symbols=True)
    user = f"cnxcanary_{secrets.token_hex(4)}"
    url = URL.create(
        "postgresql" if dialect == "postgresql" else "mysql",
        username=user,
        password=password,
        host="127.0.0.1",
        port=1,
        database="cnxcanary",
    )
    return _render(url), Canary(f"unreachable {dialect} password", password)
