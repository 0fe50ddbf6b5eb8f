"""Apply a revocation, removal or catalog change here and announce it to every other replica.

What lingers per replica is derived state: the short-lived read cache of
keys, toolsets and databases, cached KEKs, pooled engines holding decrypted
URLs, agent connections. Each change is applied locally first (so this
replica never waits on Redis) and then published, and every replica applies
it on receipt, well within a second. Every kind of change drops the whole read
cache; ``store`` says only that (any state-changing REST request sends it).
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from conexor.cluster.bus import Invalidation, RedisBus
from conexor.cluster.catalog import ClusterCatalogNotifier
from conexor.server.agenthub import AgentHub
from conexor.server.cloud import CloudBackends
from conexor.store.readcache import ReadCache

__all__ = ["Invalidator"]

log = logging.getLogger("conexor.cluster")


class Invalidator:
    """Drop what a revoked key, token or removed database left in memory, cluster-wide."""

    def __init__(
        self,
        backends: CloudBackends,
        hub: AgentHub,
        bus: RedisBus | None,
        catalog: ClusterCatalogNotifier | None = None,
        cache: ReadCache | None = None,
    ) -> None:
        self._cache = cache
        self._backends = backends
        self._hub = hub
        self._bus = bus
        self._catalog = catalog
        if bus is not None:
            bus.on_invalidation(self.apply)

    async def apply(self, change: Invalidation) -> None:
        """Forget, on this replica, everything derived from the changed object."""
        if self._cache is not None:
            self._cache.clear()
        if change.kind == "key":
            self._backends.forget_key(change.id)
        elif change.kind == "agent_token":
            await self._hub.disconnect_token(change.id)
        elif change.kind == "database":
            self._backends.forget_database(change.id)
            await self._hub.disconnect_database(change.id)
        elif change.kind == "catalog" and self._catalog is not None:
            await self._catalog.local_tools_changed(change.id)

    async def announce(self, change: Invalidation) -> None:
        """Apply here now, then tell the other replicas."""
        await self.apply(change)
        if self._bus is None:
            return
        try:
            await self._bus.publish(change)
        except (RedisError, OSError):
            # What is left elsewhere expires on its own: the read cache within a
            # second, KEKs at their TTL, engines when idle.
            log.error("could not announce a %s change on the cluster bus", change.kind)
