"""A stdio MCP server that forwards every request to a conexor server over HTTP.

Upstream sees the bridge's own clientInfo; tool list changes are not forwarded.
"""

from __future__ import annotations

from typing import Any

import mcp.types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.stdio import stdio_server

from conexor import __version__
from conexor.mcp.remote import connect

__all__ = ["run_bridge"]


async def run_bridge(url: str, api_key: str) -> None:
    """Serve MCP on stdin/stdout until the client closes it."""
    async with connect(url, api_key, client_name="conexor-bridge") as upstream:

        async def list_tools(
            ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
        ) -> types.ListToolsResult:
            return await upstream.list_tools(cursor=params.cursor if params else None)

        async def call_tool(
            ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
        ) -> types.CallToolResult:
            return await upstream.call_tool(params.name, params.arguments or {})

        server: Server[Any] = Server(
            "conexor-bridge", version=__version__, on_list_tools=list_tools, on_call_tool=call_tool
        )
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
