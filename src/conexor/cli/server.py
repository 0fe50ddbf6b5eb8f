"""``conexor server``: serve the REST API, MCP endpoint and dashboard on one port."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from conexor.config import Settings

__all__ = ["serve", "server_command"]


def serve(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT; uvicorn finishes in-flight requests before exiting."""
    from conexor.server.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # The SQL parser logs statements it cannot fully parse; statements stay out of the log.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", server_header=False)


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
