"""``conexor server``: serve the REST API and the MCP endpoint on one port."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from conexor.cli.client import CliError
from conexor.config import Settings

__all__ = ["serve", "server_command"]


def serve(settings: Settings, workers: int = 1, *, debug: bool = False) -> None:
    """Run until SIGTERM/SIGINT; uvicorn finishes in-flight requests before exiting."""
    import logging

    import uvicorn

    from conexor.hardening import make_undumpable
    from conexor.logs import configure_logging
    from conexor.server.app import create_app

    configure_logging(logging.DEBUG if debug else logging.INFO)
    make_undumpable()
    if workers > 1:
        _serve_workers(settings, workers)
        return
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, server_header=False)


def _serve_workers(settings: Settings, workers: int) -> None:
    """Several worker processes on one port: replicas that share the store and the bus."""
    import uvicorn

    if settings.store_url.startswith("sqlite"):
        raise CliError(
            "--workers needs the PostgreSQL store (--store-url postgresql+psycopg://...)"
        )
    if not settings.redis_url:
        raise CliError("--workers needs the Redis bus (--redis-url or CONEXOR_REDIS_URL)")
    # Workers are new processes: they read their settings from the environment.
    os.environ.update(
        {
            "CONEXOR_DATA_DIR": str(settings.data_dir),
            "CONEXOR_HOST": settings.host,
            "CONEXOR_PORT": str(settings.port),
            "CONEXOR_STORE_URL": settings.store_url,
            "CONEXOR_REDIS_URL": settings.redis_url,
        }
    )
    uvicorn.run(
        "conexor.server.asgi:app_from_env",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        server_header=False,
    )


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
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Log at DEBUG level (requests, agent frames' metadata); "
            "still redacted: no URL credential, API key or agent token.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Worker processes (replicas on one port); more than 1 needs "
            "the PostgreSQL store and the Redis bus.",
        ),
    ] = 1,
    redis_url: Annotated[
        str | None,
        typer.Option(
            "--redis-url",
            envvar="CONEXOR_REDIS_URL",
            help="Redis bus shared by several replicas (agent jobs, invalidation); "
            "omit for a single process.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve everything on one port until SIGTERM/SIGINT."""
    serve(
        Settings.build(
            data_dir=data_dir, store_url=store_url, host=host, port=port, redis_url=redis_url
        ),
        workers,
        debug=debug,
    )
