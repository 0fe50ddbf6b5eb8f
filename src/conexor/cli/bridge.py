"""``conexor bridge``: a stdio MCP server that forwards to a conexor server over HTTP.

For AI clients that only start local (stdio) servers, such as Claude Desktop.
The API key comes from ``CONEXOR_API_KEY`` in the client's config, never argv.
"""

from __future__ import annotations

from typing import Any

import anyio
import mcp.types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.stdio import stdio_server

from conexor import __version__
from conexor.cli.options import ApiKeyOpt, ServerOpt
from conexor.mcp.remote import connect

__all__ = ["bridge_command"]


async def _bridge(url: str, api_key: str) -> None:
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


def bridge_command(server: ServerOpt, api_key: ApiKeyOpt) -> None:
    """Serve MCP on stdin/stdout, forwarding every call to SERVER/mcp."""
    anyio.run(_bridge, server.rstrip("/") + "/mcp", api_key)
