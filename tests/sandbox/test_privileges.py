"""write_privileges and role_report against real roles: a reader, a writer, a superuser."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from conexor.sandbox import RoleReport, create_database_engine, role_report, write_privileges
from conexor.sandbox.privileges import READ_ONLY_ROLE

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


# --- role_report ---------------------------------------------------------------------


def _pg_report(role: str, database: str) -> RoleReport:
    engine = create_database_engine(f"postgresql://{role}@{PG_HOST}:{PG_PORT}/{database}")
    try:
        return role_report(engine, "postgresql")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_pg_report_of_a_reader_is_clean_and_recommends_grants(
    pg_roles: tuple[str, str], pg_database: str
) -> None:
    reader, _ = pg_roles
    report = _pg_report(reader, pg_database)
    assert report.findings == []
    assert report.grants[0].startswith(f"CREATE ROLE {READ_ONLY_ROLE} LOGIN PASSWORD '<")
    assert f'GRANT CONNECT ON DATABASE "{pg_database}" TO {READ_ONLY_ROLE};' in report.grants
    assert f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READ_ONLY_ROLE};" in report.grants
    assert f"ALTER ROLE {READ_ONLY_ROLE} SET default_transaction_read_only = on;" in report.grants


@pytest.mark.postgres
def test_pg_report_names_dangerous_powers(pg_roles: tuple[str, str], pg_database: str) -> None:
    reader, _ = pg_roles
    with pg_admin() as admin:
        admin.execute(f'GRANT pg_read_server_files, pg_signal_backend TO "{reader}"')
        admin.execute(f'ALTER ROLE "{reader}" BYPASSRLS')
    try:
        findings = _pg_report(reader, pg_database).findings
    finally:
        with pg_admin() as admin:
            admin.execute(f'REVOKE pg_read_server_files, pg_signal_backend FROM "{reader}"')
    assert "the role bypasses row-level security (BYPASSRLS)" in findings
    assert any("pg_read_server_files" in f and "read files" in f for f in findings)
    assert any("pg_signal_backend" in f for f in findings)


@pytest.mark.postgres
def test_pg_report_of_superuser(pg_engine: Engine) -> None:
    report = role_report(pg_engine, "postgresql")
    assert len(report.findings) == 1
    assert "superuser" in report.findings[0]
    assert report.grants


@pytest.mark.postgres
def test_pg_recommended_grants_make_a_read_only_role(pg_database: str) -> None:
    engine = create_database_engine(f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{pg_database}")
    try:
        grants = role_report(engine, "postgresql").grants
    finally:
        engine.dispose()
    name = unique("cnx_ro")
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname=pg_database, autocommit=True
    ) as conn:
        for statement in grants:
            conn.execute(statement.replace(READ_ONLY_ROLE, f'"{name}"'))  # type: ignore[arg-type]
    try:
        assert _pg_report(name, pg_database).findings == []
    finally:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname=pg_database, autocommit=True
        ) as conn:
            conn.execute(f'DROP OWNED BY "{name}"')
        with pg_admin() as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.mark.mariadb
def test_mariadb_report_names_file_privilege(
    mariadb_users: tuple[str, str, str], mariadb_database: str
) -> None:
    reader, _, password = mariadb_users
    with mariadb_admin() as admin, admin.cursor() as cur:
        cur.execute(f"GRANT FILE ON *.* TO '{reader}'@'%'")
    engine = create_database_engine(
        f"mariadb://{reader}:{password}@{MARIADB_HOST}:{MARIADB_PORT}/{mariadb_database}"
    )
    try:
        report = role_report(engine, "mysql")
    finally:
        engine.dispose()
    assert report.findings == ["the user has FILE on *.*"]
    assert report.grants == [
        f"CREATE USER '{READ_ONLY_ROLE}'@'%' IDENTIFIED BY '<choose a strong password>';",
        f"GRANT SELECT, SHOW VIEW ON `{mariadb_database}`.* TO '{READ_ONLY_ROLE}'@'%';",
    ]
    for line in report.findings + report.grants:
        assert password not in line


def test_sqlite_report(sqlite_engine: Engine) -> None:
    report = role_report(sqlite_engine, "sqlite")
    assert report.findings == write_privileges(sqlite_engine, "sqlite")
    assert report.grants and report.grants[0].startswith("-- SQLite has no roles")
