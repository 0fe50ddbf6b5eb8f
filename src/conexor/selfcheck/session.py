"""The self-check's clients: the CLI's REST client and the MCP client, both recorded.

Every flow talks to the server through these, so every response body and
header the server sends ends up in the :class:`Recorder`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import httpx2
from mcp import MCPError
from mcp.types import CallToolResult

from conexor.cli.client import ApiClient
from conexor.mcp.remote import connect
from conexor.selfcheck.errors import SelfcheckError
from conexor.selfcheck.recorder import Recorder

__all__ = ["ServerSession"]

ToolCall = tuple[str, dict[str, Any]]


class ServerSession:
    """One server, one recorder; clients made here record what they receive."""

    def __init__(self, server: str, recorder: Recorder) -> None:
        self.server = server.rstrip("/")
        self.recorder = recorder

    def api(self, api_key: str | None = None) -> ApiClient:
        """The CLI's REST client, recording."""
        return ApiClient(self.server, api_key, transport=self.recorder.transport())

    def raw(self, method: str, path: str, api_key: str, **kwargs: Any) -> httpx2.Response:
        """A plain HTTP request (for answers the CLI client turns into errors), recording."""
        with httpx2.Client(
            base_url=self.server,
            headers={"Authorization": f"Bearer {api_key}"},
            transport=self.recorder.transport(),
            timeout=60.0,
        ) as http:
            response = http.request(method, path, **kwargs)
            response.read()
            return response

    def tools(self, api_key: str, calls: Sequence[ToolCall]) -> list[CallToolResult]:
        """Make ``calls`` in one MCP session with the official client, recording."""

        async def go() -> list[CallToolResult]:
            async with connect(
                f"{self.server}/mcp",
                api_key,
                client_name="conexor-selfcheck",
                http_transport=self.recorder.async_transport(),
            ) as client:
                return [await client.call_tool(tool, args) for tool, args in calls]

        try:
            return anyio.run(go)
        except (ExceptionGroup, httpx2.HTTPError, MCPError, OSError) as exc:
            raise SelfcheckError(self._mcp_failure(exc)) from None

    def _mcp_failure(self, exc: BaseException) -> str:
        """Name what ended an MCP session: the refusing HTTP status, else the error's type.

        Only a status or a type name, never an error's text.
        """
        answers = [e.status for e in self.recorder.exchanges if e.path.startswith("/mcp")]
        if answers and answers[-1] >= 400:
            return f"the MCP endpoint answered HTTP {answers[-1]}"
        while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        return f"the MCP session failed ({type(exc).__name__})"
