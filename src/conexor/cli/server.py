"""``conexor server``: serve the REST API and the MCP endpoint on one port."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from conexor.config import Settings
from conexor.hardening import make_undumpable
from conexor.logs import configure_logging

__all__ = ["serve", "server_command"]


def serve(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT; uvicorn finishes in-flight requests before exiting."""
    from conexor.server.app import create_app

    configure_logging()
    make_undumpable()
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, server_header=False)


def server_command(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Directory for the store and the pepper.")
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    store_url: Annotated[
        str | None,
        typer.Option(
            "--store-url",
            envvar="CONEXOR_STORE_URL",
            help="SQLAlchemy URL of the store (default: SQLite file in the data directory).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve everything on one port until SIGTERM/SIGINT."""
    serve(Settings.build(data_dir=data_dir, store_url=store_url, host=host, port=port))
