"""Cloud mode: open a database with the caller's own API key.

The envelope is opened only in memory, only with the key the caller presented
on this request; the derived key is cached (bounded, keyed by the API key) and
the URL lives only inside the pooled engine.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio.to_thread
from sqlalchemy import Engine

from conexor.backends import DirectBackend
from conexor.crypto import AadContext, ApiKey, Envelope, KekCache, unseal, unseal_with_kek
from conexor.sandbox import (
    RoleReport,
    UnsupportedDatabaseUrl,
    create_database_engine,
    dialect_of_url,
    driver_url,
    probe,
    role_report,
)
from conexor.schema import Snapshot, introspect
from conexor.server.auth import Authenticated
from conexor.server.engines import EnginePool
from conexor.server.errors import BadRequest
from conexor.store import DatabaseRecord

__all__ = ["CloudBackends", "SqliteFiles", "aad_for", "introspect_sealed"]


def aad_for(record: DatabaseRecord) -> AadContext:
    """The AAD context rebuilt from the server's own row, never from the envelope."""
    return AadContext(org_id=record.org_id, database_id=record.id, revision=record.revision)


class SqliteFiles:
    """Which files on this server a cloud-mode SQLite URL may open.

    A cloud-mode SQLite URL names a path on the *server*. Unchecked, any
    organisation could register the server's own store, or any file the
    process can read, as its database and read other organisations' metadata
    and audit records. So the operator lists directories (``CONEXOR_SQLITE_DIRS``;
    none by default), and nothing under the data directory is ever opened.
    Paths are resolved (symlinks included) before the check.
    """

    def __init__(self, allowed: tuple[Path, ...], data_dir: Path) -> None:
        self._allowed = tuple(p.resolve() for p in allowed)
        self._data_dir = data_dir.resolve()

    def check(self, url: str) -> None:
        """Raise :class:`UnsupportedDatabaseUrl` unless ``url`` is not SQLite or is allowed."""
        if dialect_of_url(url) != "sqlite":
            return
        path = Path(os.path.realpath(driver_url(url).database or ""))
        inside = [d for d in self._allowed if path.is_relative_to(d)]
        if not inside or path.is_relative_to(self._data_dir):
            raise UnsupportedDatabaseUrl(
                "this server opens SQLite files only in the directories its operator "
                "listed in CONEXOR_SQLITE_DIRS; use agent mode for a SQLite file elsewhere"
            )


def introspect_sealed(
    envelope: Envelope, key: ApiKey, ctx: AadContext, dialect: str, sqlite: SqliteFiles
) -> tuple[Snapshot, RoleReport]:
    """Open a just-uploaded envelope with the caller's key and read the schema, in memory.

    This is the dashboard's path: a browser cannot reach the database, so the
    server introspects on the request that presents the key. The URL lives
    only in this call's engine, which is disposed before returning.
    """
    url = unseal(envelope, key, ctx).decode("utf-8")
    actual = dialect_of_url(url)
    if actual != dialect:
        raise BadRequest(f"the connection string is a {actual} URL, not {dialect}")
    sqlite.check(url)
    engine = create_database_engine(url, pool_size=1)
    try:
        probe(engine)
        return introspect(engine), role_report(engine, actual)
    finally:
        engine.dispose()


class CloudBackends:
    """Resolve a direct backend for (caller, database), decrypting only on a pool miss."""

    def __init__(self, kek_cache: KekCache, pool: EnginePool, sqlite: SqliteFiles) -> None:
        self._kek_cache = kek_cache
        self._pool = pool
        self.sqlite = sqlite

    async def resolve(self, caller: Authenticated, record: DatabaseRecord) -> DirectBackend:
        """A backend for the database, opened with the caller's key."""
        if record.mode != "cloud" or record.envelope is None:
            raise BadRequest(
                f"database {record.name!r} is in {record.mode} mode and has no agent connected"
            )
        pool_key = (record.id, record.revision, caller.principal.key_id)
        engine = self._pool.get(pool_key)
        if engine is None:
            engine = await anyio.to_thread.run_sync(self._open, caller, record)
            engine = self._pool.put(pool_key, engine)
        return DirectBackend(engine, record.dialect)

    def forget_key(self, key_id: str) -> None:
        """Drop every engine and derived key of a revoked API key, at once."""
        self._pool.discard(lambda k: k[2] == key_id)
        self._kek_cache.discard_key_id(key_id)

    def forget_database(self, database_id: str) -> None:
        """Close every engine of a removed database."""
        self._pool.discard(lambda k: k[0] == database_id)

    def _open(self, caller: Authenticated, record: DatabaseRecord) -> Engine:
        envelope = Envelope.from_json(record.envelope or "")
        kek = self._kek_cache.get_or_derive(envelope, caller.key)
        url = unseal_with_kek(envelope, kek, aad_for(record)).decode("utf-8")
        self.sqlite.check(url)
        return create_database_engine(url)
