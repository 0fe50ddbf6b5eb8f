"""The CLI's HTTP client for the REST API: one error type, safe messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2

from conexor.errors import ConexorError

__all__ = ["ApiClient", "CliError"]


class CliError(ConexorError):
    """A command failed; ``public`` is printed as one line on stderr."""

    code = "cli_error"


class ApiClient:
    """A thin REST client; the API key travels only in the Authorization header."""

    def __init__(
        self,
        server: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        """``transport`` replaces the network layer (``conexor selfcheck`` records responses)."""
        headers = {"User-Agent": "conexor-cli"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._server = server.rstrip("/")
        self._http = httpx2.Client(
            base_url=self._server, headers=headers, timeout=timeout_s, transport=transport
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def text(self, path: str) -> str:
        """GET a plain-text resource outside ``/api/v1`` (e.g. a well-known key)."""
        try:
            response = self._http.get(path)
        except httpx2.HTTPError:
            raise CliError(f"could not reach the conexor server at {self._server}") from None
        if response.status_code >= 400:
            raise CliError(f"the server answered HTTP {response.status_code}")
        return response.text

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; return the decoded JSON or raise CliError with the server's message."""
        try:
            response = self._http.request(method, f"/api/v1{path}", **kwargs)
        except httpx2.HTTPError:
            raise CliError(f"could not reach the conexor server at {self._server}") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            raise _failure(response.status_code, data)
        return data

    def lines(self, path: str, **kwargs: Any) -> Iterator[bytes]:
        """GET a JSON Lines resource under ``/api/v1``; yield its lines as they arrive.

        Constant memory however long the stream. A stream cut off mid-way (the
        server or the network failed) raises CliError, never ends quietly.
        """
        try:
            with self._http.stream("GET", f"/api/v1{path}", **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    try:
                        data = response.json()
                    except ValueError:
                        data = None
                    raise _failure(response.status_code, data)
                rest = b""
                for chunk in response.iter_bytes():
                    parts = (rest + chunk).split(b"\n")
                    rest = parts.pop()
                    yield from parts
                if rest:
                    yield rest
        except httpx2.HTTPError:
            raise CliError(
                f"the stream from the conexor server at {self._server} broke off"
            ) from None


def _failure(status: int, data: Any) -> CliError:
    """The error for an HTTP failure: the server's own message when it sent one."""
    message = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        message = data["error"].get("message")
    return CliError(message or f"the server answered HTTP {status}")
