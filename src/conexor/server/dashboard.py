"""Serve the dashboard at ``/`` and put browser security headers on every response.

The dashboard is static: the API key stays in the page and the credential is
sealed there (WebCrypto) before anything is sent. The headers make that
checkable: scripts and styles only from this origin (no inline code, no CDN),
no framing, no referrer, requests only back to this origin.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.datastructures import MutableHeaders
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders", "mount_dashboard"]

#: Nothing inline, nothing from another origin; the page may only call back home.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_COMMON = {
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
#: The interactive API docs load their viewer from a CDN; they get no CSP (and no key of ours).
_CSP_EXEMPT = ("/api/docs",)


def _static_dir() -> Path:
    return Path(str(files("conexor.web") / "static"))


def mount_dashboard(app: FastAPI) -> None:
    """Add ``/`` (the page) and ``/assets`` (its modules and styles) to ``app``."""
    static = _static_dir()
    index = static / "index.html"

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(index, headers={"cache-control": "no-cache"})

    app.mount("/assets", StaticFiles(directory=static), name="assets")


class SecurityHeaders:
    """ASGI layer adding the browser security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not scope["path"].startswith(_CSP_EXEMPT)
        is_asset = scope["path"].startswith("/assets/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _COMMON.items():
                    headers[name] = value
                if with_csp:
                    headers["content-security-policy"] = CONTENT_SECURITY_POLICY
                if is_asset:
                    headers["cache-control"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)
