"""The app built from the environment, for process managers that import it.

``conexor server --workers N`` and ``uvicorn --factory`` start worker
processes that each import this and build their own app; everything they need
comes from ``CONEXOR_*`` variables (``CONEXOR_DATA_DIR`` at least). Several
workers are several replicas, so they need the PostgreSQL store and the Redis bus.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from conexor.config import ConfigError, Settings

__all__ = ["app_from_env"]


def app_from_env() -> FastAPI:
    """Build the app from ``CONEXOR_DATA_DIR`` and the other ``CONEXOR_*`` settings."""
    from conexor.logs import configure_logging
    from conexor.server.app import create_app

    data_dir = os.environ.get("CONEXOR_DATA_DIR")
    if not data_dir:
        raise ConfigError("set CONEXOR_DATA_DIR to the server's data directory")
    configure_logging()
    settings = Settings.build(
        data_dir=Path(data_dir),
        host=os.environ.get("CONEXOR_HOST", "127.0.0.1"),
        port=int(os.environ.get("CONEXOR_PORT", "8080")),
    )
    return create_app(settings)
