"""write_privileges against real roles: a read-only one, a writer, a superuser."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from conexor.sandbox import create_database_engine, write_privileges

from .conftest import MARIADB_HOST, MARIADB_PORT, PG_HOST, PG_PORT, mariadb_admin, pg_admin, unique


@pytest.fixture
def pg_roles(pg_database: str) -> Iterator[tuple[str, str]]:
    """A reader (SELECT only) and a writer (INSERT, UPDATE, CREATE) on ``items``."""
    reader, writer = unique("cnx_reader"), unique("cnx_writer")
    with pg_admin() as admin:
        for role in (reader, writer):
            admin.execute(f'CREATE ROLE "{role}" LOGIN')
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname=pg_database, autocommit=True
    ) as conn:
        for role in (reader, writer):
            conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
            conn.execute(f'GRANT SELECT ON items TO "{role}"')
        conn.execute(f'GRANT INSERT, UPDATE ON items TO "{writer}"')
        conn.execute(f'GRANT CREATE ON SCHEMA public TO "{writer}"')
    try:
        yield reader, writer
    finally:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname=pg_database, autocommit=True
        ) as conn:
            for role in (reader, writer):
                conn.execute(f'DROP OWNED BY "{role}"')
        with pg_admin() as admin:
            for role in (reader, writer):
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def _pg_findings(role: str, database: str) -> list[str]:
    engine = create_database_engine(f"postgresql://{role}@{PG_HOST}:{PG_PORT}/{database}")
    try:
        return write_privileges(engine, "postgresql")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_pg_reader_has_no_findings(pg_roles: tuple[str, str], pg_database: str) -> None:
    reader, _ = pg_roles
    assert _pg_findings(reader, pg_database) == []


@pytest.mark.postgres
def test_pg_writer_findings(pg_roles: tuple[str, str], pg_database: str) -> None:
    _, writer = pg_roles
    assert _pg_findings(writer, pg_database) == [
        "the role can INSERT on 1 table (public.items)",
        "the role can UPDATE on 1 table (public.items)",
        "the role can CREATE objects in schema public",
    ]


@pytest.mark.postgres
def test_pg_superuser(pg_engine: Engine) -> None:
    findings = write_privileges(pg_engine, "postgresql")
    assert len(findings) == 1
    assert "superuser" in findings[0]


@pytest.fixture
def mariadb_users(mariadb_database: str) -> Iterator[tuple[str, str, str]]:
    """A reader and a writer on the test database, sharing one throwaway password."""
    reader, writer = unique("rd"), unique("wr")
    password = secrets.token_hex(8)
    with mariadb_admin() as admin, admin.cursor() as cur:
        for user in (reader, writer):
            cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
            cur.execute(f"GRANT SELECT ON `{mariadb_database}`.* TO '{user}'@'%'")
        cur.execute(f"GRANT INSERT, DELETE ON `{mariadb_database}`.`items` TO '{writer}'@'%'")
    try:
        yield reader, writer, password
    finally:
        with mariadb_admin() as admin, admin.cursor() as cur:
            for user in (reader, writer):
                cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")


def _mariadb_findings(user: str, password: str, database: str) -> list[str]:
    engine = create_database_engine(
        f"mariadb://{user}:{password}@{MARIADB_HOST}:{MARIADB_PORT}/{database}"
    )
    try:
        return write_privileges(engine, "mysql")
    finally:
        engine.dispose()


@pytest.mark.mariadb
def test_mariadb_reader_has_no_findings(
    mariadb_users: tuple[str, str, str], mariadb_database: str
) -> None:
    reader, _, password = mariadb_users
    assert _mariadb_findings(reader, password, mariadb_database) == []


@pytest.mark.mariadb
def test_mariadb_writer_findings(
    mariadb_users: tuple[str, str, str], mariadb_database: str
) -> None:
    _, writer, password = mariadb_users
    findings = _mariadb_findings(writer, password, mariadb_database)
    assert findings == [f"the user has INSERT, DELETE on `{mariadb_database}`.`items`"]


@pytest.mark.mariadb
def test_mariadb_root(mariadb_engine: Engine) -> None:
    findings = write_privileges(mariadb_engine, "mysql")
    assert any("ALL PRIVILEGES" in finding for finding in findings)
    assert any("grant" in finding for finding in findings)
    for finding in findings:
        assert "IDENTIFIED" not in finding.upper()


def test_sqlite_writable_file(sqlite_engine: Engine) -> None:
    findings = write_privileges(sqlite_engine, "sqlite")
    assert len(findings) == 1
    assert "writable" in findings[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file whatever its mode")
def test_sqlite_read_only_file(sqlite_path: Path) -> None:
    sqlite_path.chmod(0o444)
    engine = create_database_engine(f"sqlite:///{sqlite_path}")
    try:
        assert write_privileges(engine, "sqlite") == []
    finally:
        engine.dispose()
