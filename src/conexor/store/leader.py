"""One replica at a time for background duties (checkpoint issuing, migrations).

PostgreSQL advisory locks: held by a session, released when it ends, so a
replica that dies frees its duties at once. The embedded SQLite store serves
one process, which is always the leader.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

__all__ = ["lock_id", "try_leadership"]


def lock_id(name: str) -> int:
    """A stable signed 64-bit lock id for ``name`` (advisory locks take a bigint)."""
    return int.from_bytes(
        hashlib.sha256(b"conexor/" + name.encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def try_leadership(engine: Engine, name: str) -> Iterator[bool]:
    """Yield True if this process holds the ``name`` duty now (never waits)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        held = bool(
            conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_id(name)}).scalar()
        )
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id(name)})
                conn.commit()
