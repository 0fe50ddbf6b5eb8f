"""Cloud mode: open a database with the caller's own API key.

The envelope is opened only in memory, only with the key the caller presented
on this request; the derived key is cached (bounded, keyed by the API key) and
the URL lives only inside the pooled engine.
"""

from __future__ import annotations

import anyio.to_thread
from sqlalchemy import Engine

from conexor.backends import DirectBackend
from conexor.crypto import AadContext, Envelope, KekCache, unseal_with_kek
from conexor.sandbox import create_database_engine, dialect_of_url
from conexor.server.auth import Authenticated
from conexor.server.engines import EnginePool
from conexor.server.errors import BadRequest
from conexor.store import DatabaseRecord

__all__ = ["CloudBackends", "aad_for"]


def aad_for(record: DatabaseRecord) -> AadContext:
    """The AAD context rebuilt from the server's own row, never from the envelope."""
    return AadContext(org_id=record.org_id, database_id=record.id, revision=record.revision)


class CloudBackends:
    """Resolve a direct backend for (caller, database), decrypting only on a pool miss."""

    def __init__(self, kek_cache: KekCache, pool: EnginePool) -> None:
        self._kek_cache = kek_cache
        self._pool = pool

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
        dialect_of_url(url)
        return create_database_engine(url)
