"""Tell connected MCP clients that their tool list changed, in both protocol eras.

Clients of the 2026-07-28 protocol hear changes only on a
``subscriptions/listen`` stream; handshake-era clients (2025-11-25 and
earlier) on their session's GET stream, as ``notifications/tools/list_changed``.
The tool list is per organisation (each key then sees its own part of it),
so there is one subscription bus per organisation and events never cross
organisations.

Handshake-era sessions are remembered when they list tools (the SDK has no
session-end hook, so each organisation keeps only its most recent
sessions; sending to a closed one is a no-op). Both registries live in this
process: with several replicas, a change made on one replica reaches the
clients connected to it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Final

import anyio
import mcp.types as types
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged

__all__ = ["CatalogNotifier"]

log = logging.getLogger("conexor.mcp")

#: Handshake-era sessions remembered per organisation (oldest forgotten first).
MAX_SESSIONS_PER_ORG: Final = 256
_FIRST_SESSIONLESS_ERA: Final = "2026"


class CatalogNotifier:
    """Per-organisation change fan-out to listen streams and legacy sessions."""

    def __init__(self, max_sessions: int = MAX_SESSIONS_PER_ORG) -> None:
        self._max_sessions = max_sessions
        self._buses: dict[str, tuple[InMemorySubscriptionBus, ListenHandler]] = {}
        self._sessions: dict[str, OrderedDict[str, ServerSession]] = {}

    def remember(self, org_id: str, ctx: ServerRequestContext[Any, Any]) -> None:
        """Keep a handshake-era session so a later change can be pushed to it."""
        if ctx.protocol_version >= _FIRST_SESSIONLESS_ERA or ctx.request is None:
            return
        session_id = ctx.request.headers.get("mcp-session-id")
        if not session_id:
            return
        sessions = self._sessions.setdefault(org_id, OrderedDict())
        sessions[session_id] = ctx.session
        sessions.move_to_end(session_id)
        while len(sessions) > self._max_sessions:
            sessions.popitem(last=False)

    async def listen(
        self,
        org_id: str,
        ctx: ServerRequestContext[Any, Any],
        params: types.SubscriptionsListenRequestParams,
    ) -> types.SubscriptionsListenResult:
        """Serve a 2026-era ``subscriptions/listen`` stream on the organisation's bus."""
        return await self._bus(org_id)[1](ctx, params)

    async def tools_changed(self, org_id: str) -> None:
        """Announce a change of ``org_id``'s tools to every listener and remembered session."""
        await self._bus(org_id)[0].publish(ToolsListChanged())
        sessions = self._sessions.get(org_id, OrderedDict())
        for session_id, session in list(sessions.items()):
            try:
                await session.send_tool_list_changed()
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                sessions.pop(session_id, None)  # the client went away
        log.debug("tool list change announced for org %s", org_id)

    def _bus(self, org_id: str) -> tuple[InMemorySubscriptionBus, ListenHandler]:
        pair = self._buses.get(org_id)
        if pair is None:
            bus = InMemorySubscriptionBus()
            pair = self._buses[org_id] = (bus, ListenHandler(bus, max_subscriptions=256))
        return pair
