"""Shared fixtures: real PostgreSQL/MariaDB databases and a live conexor server.

Database fixtures create a uniquely named database and drop it afterwards, so
tests run repeatedly and in any order (see ``tests/services.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
import uvicorn

from conexor.config import Settings
from tests.services import mariadb_admin_connection, pg_admin_connection, unique

__all__ = ["LiveServer", "run_live_server"]


@pytest.fixture
def pg_admin() -> Iterator[psycopg.Connection]:
    with pg_admin_connection() as conn:
        yield conn


@pytest.fixture
def pg_db(pg_admin: psycopg.Connection) -> Iterator[str]:
    """A fresh PostgreSQL database; yields its name."""
    name = unique("cnx_t")
    pg_admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        pg_admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def maria_admin() -> Iterator[pymysql.connections.Connection]:
    with mariadb_admin_connection() as conn:
        yield conn


@pytest.fixture
def maria_db(maria_admin: pymysql.connections.Connection) -> Iterator[str]:
    """A fresh MariaDB database; yields its name."""
    name = unique("cnx_t")
    with maria_admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with maria_admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")


@dataclass
class LiveServer:
    """A conexor server running in this process on a free port."""

    url: str
    data_dir: Path
    log_path: Path
    settings: Settings
    app: Any = None


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real uvicorn server with the embedded store, its log captured to a file."""
    yield from run_live_server(tmp_path / "data", tmp_path / "server.log")


def run_live_server(
    data_dir: Path, log_path: Path, store_url: str | None = None, port: int = 0
) -> Iterator[LiveServer]:
    import logging

    from conexor.server.app import create_app

    # Tests keep their SQLite files next to the data directory (never inside it).
    settings = Settings.build(
        data_dir=data_dir,
        store_url=store_url,
        port=0,
        environ={},
        sqlite_dirs=(data_dir.parent,),
    )
    handler = logging.FileHandler(log_path)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="debug", log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "server thread died"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", data_dir, log_path, settings, app)
    finally:
        server.should_exit = True
        thread.join(10)
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
