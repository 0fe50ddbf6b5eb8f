"""A stdio MCP server that forwards every request to a conexor server over HTTP.

Upstream sees the bridge's own clientInfo. Tool list changes are forwarded:
the bridge listens upstream (``subscriptions/listen``) and tells its stdio
client, as ``notifications/tools/list_changed`` for a handshake-era client or
on the client's own listen stream for a 2026-era one.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import mcp.types as types
from anyio import TASK_STATUS_IGNORED
from anyio.abc import TaskStatus
from mcp.client.subscriptions import ListenNotSupportedError, SubscriptionLost
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.session import ServerSession
from mcp.server.stdio import stdio_server
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
from mcp.shared.exceptions import MCPError

from conexor import __version__
from conexor.mcp.remote import connect

__all__ = ["run_bridge"]

log = logging.getLogger("conexor.bridge")


async def run_bridge(url: str, api_key: str) -> None:
    """Serve MCP on stdin/stdout until the client closes it."""
    bus = InMemorySubscriptionBus()
    legacy: list[ServerSession] = []

    async def announce() -> None:
        await bus.publish(ToolsListChanged())
        for session in legacy:
            try:
                await session.send_tool_list_changed()
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                legacy.remove(session)

    async with connect(url, api_key, client_name="conexor-bridge") as upstream:

        async def forward_changes(*, task_status: TaskStatus[None] = TASK_STATUS_IGNORED) -> None:
            try:
                async with upstream.listen(tools_list_changed=True) as subscription:
                    # Listening before stdio is served: no change can slip in between.
                    task_status.started()
                    async for _event in subscription:
                        await announce()
            except (ListenNotSupportedError, SubscriptionLost, MCPError) as exc:
                log.warning("tool list changes will not be forwarded (%s)", type(exc).__name__)
                task_status.started()

        async def list_tools(
            ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
        ) -> types.ListToolsResult:
            if ctx.protocol_version < "2026" and ctx.session not in legacy:
                legacy.append(ctx.session)
            return await upstream.list_tools(cursor=params.cursor if params else None)

        async def call_tool(
            ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
        ) -> types.CallToolResult:
            return await upstream.call_tool(params.name, params.arguments or {})

        server: Server[Any] = Server(
            "conexor-bridge",
            version=__version__,
            on_list_tools=list_tools,
            on_call_tool=call_tool,
            on_subscriptions_listen=ListenHandler(bus),
        )
        async with anyio.create_task_group() as tasks:
            await tasks.start(forward_changes)
            async with stdio_server() as (read, write):
                await server.run(
                    read,
                    write,
                    server.create_initialization_options(NotificationOptions(tools_changed=True)),
                )
            tasks.cancel_scope.cancel()
