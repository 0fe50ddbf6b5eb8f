"""Real databases for the sandbox tests: unique names, dropped afterwards.

The local servers use trust (PostgreSQL) and empty-password (MariaDB) auth,
so no secret appears here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest
from sqlalchemy import Engine

from conexor.sandbox import create_database_engine
from tests.services import mariadb_admin_connection, pg_admin_connection, unique

PG_HOST = "127.0.0.1"
PG_PORT = 5432
MARIADB_HOST = "127.0.0.1"
MARIADB_PORT = 3306

ROWS = 25


def pg_admin() -> psycopg.Connection:
    return pg_admin_connection()


def mariadb_admin(database: str | None = None) -> pymysql.Connection:
    return mariadb_admin_connection(database)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database with table ``items`` of ROWS rows; yields its name."""
    name = unique("cnx_sandbox")
    with pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname=name, autocommit=True
        ) as conn:
            conn.execute(
                "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10, 2),"
                " created timestamptz, tags jsonb)"
            )
            conn.execute(
                "INSERT INTO items SELECT g, 'item ' || g, g * 1.25,"
                " '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 day',"
                " jsonb_build_object('n', g) FROM generate_series(1, %s) g",
                (ROWS,),
            )
        yield name
    finally:
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_engine(pg_database: str) -> Iterator[Engine]:
    engine = create_database_engine(
        f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{pg_database}", pool_size=2
    )
    yield engine
    engine.dispose()


@pytest.fixture
def mariadb_database() -> Iterator[str]:
    """A fresh MariaDB database with table ``items`` of ROWS rows; yields its name."""
    name = unique("cnx_sandbox")
    with mariadb_admin() as admin, admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    try:
        with mariadb_admin(name) as conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE items (id int PRIMARY KEY, name varchar(50),"
                " price decimal(10, 2), created datetime, data blob)"
            )
            cur.executemany(
                "INSERT INTO items VALUES (%s, %s, %s, %s, %s)",
                [
                    (i, f"item {i}", i * 1.25, f"2024-01-{i:02d} 00:00:00", bytes([i, 255]))
                    for i in range(1, ROWS + 1)
                ],
            )
        yield name
    finally:
        with mariadb_admin() as admin, admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def mariadb_engine(mariadb_database: str) -> Iterator[Engine]:
    engine = create_database_engine(
        f"mariadb://root@{MARIADB_HOST}:{MARIADB_PORT}/{mariadb_database}", pool_size=2
    )
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A SQLite file with table ``items`` of ROWS rows."""
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB)"
        )
        conn.executemany(
            "INSERT INTO items VALUES (?, ?, ?, ?)",
            [(i, f"item {i}", i * 1.25, bytes([i, 255])) for i in range(1, ROWS + 1)],
        )
        conn.commit()
    finally:
        conn.close()
    return path


@pytest.fixture
def sqlite_engine(sqlite_path: Path) -> Iterator[Engine]:
    engine = create_database_engine(f"sqlite:///{sqlite_path}", pool_size=2)
    yield engine
    engine.dispose()
