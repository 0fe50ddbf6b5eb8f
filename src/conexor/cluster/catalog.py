"""Tool-list changes announced to the MCP clients of every replica, not just this one.

A change (a tool added, a policy edited, a schema re-introspected by an agent
on another replica) goes through the invalidator: applied here, published on
the bus, and each other replica notifies its own connected clients.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conexor.cluster.bus import Invalidation
from conexor.mcp.notify import CatalogNotifier

__all__ = ["ClusterCatalogNotifier"]


class ClusterCatalogNotifier(CatalogNotifier):
    """A catalog notifier whose announcements travel through the cluster."""

    def __init__(self) -> None:
        super().__init__()
        self._announce: Callable[[Invalidation], Awaitable[None]] | None = None

    def connect(self, announce: Callable[[Invalidation], Awaitable[None]]) -> None:
        """Route announcements through ``announce`` (the invalidator)."""
        self._announce = announce

    async def tools_changed(self, org_id: str) -> None:
        """Announce cluster-wide (or, unconnected, to this replica's clients)."""
        if self._announce is None:
            await self.local_tools_changed(org_id)
        else:
            await self._announce(Invalidation("catalog", org_id))

    async def local_tools_changed(self, org_id: str) -> None:
        """Notify the clients connected to this replica."""
        await super().tools_changed(org_id)
