"""The CLI's HTTP client for the REST API: one error type, safe messages."""

from __future__ import annotations

from typing import Any

import httpx2

from conexor.errors import ConexorError

__all__ = ["ApiClient", "CliError"]


class CliError(ConexorError):
    """A command failed; ``public`` is printed as one line on stderr."""

    code = "cli_error"


class ApiClient:
    """A thin REST client; the API key travels only in the Authorization header."""

    def __init__(self, server: str, api_key: str | None = None, *, timeout_s: float = 60.0) -> None:
        headers = {"User-Agent": "conexor-cli"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._server = server.rstrip("/")
        self._http = httpx2.Client(base_url=self._server, headers=headers, timeout=timeout_s)

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
            message = None
            if isinstance(data, dict) and isinstance(data.get("error"), dict):
                message = data["error"].get("message")
            raise CliError(message or f"the server answered HTTP {response.status_code}")
        return data
