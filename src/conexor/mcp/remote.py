"""Connect the official MCP client to a conexor server with an API key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import httpx2
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import Implementation

from conexor import __version__

__all__ = ["connect"]


@asynccontextmanager
async def connect(
    url: str,
    api_key: str,
    *,
    mode: Literal["auto", "legacy"] = "auto",
    client_name: str = "conexor",
    model: str | None = None,
    http_transport: httpx2.AsyncBaseTransport | None = None,
) -> AsyncIterator[Client]:
    """An MCP client session on ``url`` authenticated with ``api_key`` (header only).

    ``http_transport`` replaces the network layer (``conexor selfcheck`` records responses).
    """
    headers = {"Authorization": f"Bearer {api_key}"}
    if model:
        headers["X-Conexor-Model"] = model
    async with httpx2.AsyncClient(
        headers=headers, timeout=httpx2.Timeout(60.0), transport=http_transport
    ) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(
            transport, mode=mode, client_info=Implementation(name=client_name, version=__version__)
        ) as client:
            yield client
