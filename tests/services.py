"""Where the local test servers are, and how a test reaches them.

The servers use trust (PostgreSQL) and empty-password (MariaDB) auth, so no
secret appears here. When a server is missing, tests skip with a reason,
except under ``CONEXOR_REQUIRE_SERVICES=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import secrets
from typing import NoReturn

import psycopg
import pymysql
import pytest

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
MARIA = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


def unavailable(what: str) -> NoReturn:
    """Skip, or fail where services are required."""
    if os.environ.get("CONEXOR_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required here but not reachable")
    pytest.skip(f"{what} not reachable")


def unique(prefix: str) -> str:
    """A fresh lowercase identifier, safe to splice into DDL."""
    return f"{prefix}_{secrets.token_hex(6)}"


def pg_admin_connection() -> psycopg.Connection:
    """An autocommit connection to PostgreSQL's ``test`` database as ``postgres``."""
    try:
        return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        unavailable("PostgreSQL at 127.0.0.1:5432")


def mariadb_admin_connection(database: str | None = None) -> pymysql.Connection:
    """An autocommit connection to MariaDB as ``root``."""
    try:
        return pymysql.connect(**MARIA, database=database, autocommit=True, connect_timeout=5)
    except pymysql.err.OperationalError:
        unavailable("MariaDB at 127.0.0.1:3306")


def redis_url() -> str:
    """The local Redis server's URL, after checking that it answers."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except (redis.RedisError, OSError):
        unavailable("Redis at 127.0.0.1:6379")
    return REDIS_URL
