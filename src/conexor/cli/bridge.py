"""``conexor bridge``: a stdio MCP server that forwards to a conexor server over HTTP.

For AI clients that only start local (stdio) servers, such as Claude Desktop.
The API key comes from ``CONEXOR_API_KEY`` in the client's config, never argv.
"""

from __future__ import annotations

import anyio

from conexor.cli.options import ApiKeyOpt, ServerOpt

__all__ = ["bridge_command"]


def bridge_command(server: ServerOpt, api_key: ApiKeyOpt) -> None:
    """Serve MCP on stdin/stdout, forwarding every call to SERVER/mcp."""
    from conexor.mcp.bridge import run_bridge  # the MCP stack loads only when used

    anyio.run(run_bridge, server.rstrip("/") + "/mcp", api_key)
