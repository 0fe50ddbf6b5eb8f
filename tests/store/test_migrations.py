"""Migrations carry existing data forward, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from conexor.store import migrate, open_store_engine


def _head() -> str:
    """The newest migration, as Alembic sees it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import conexor.store.engine as store_engine

    config = Config()
    config.set_main_option(
        "script_location", str(Path(store_engine.__file__).parent / "migrations")
    )
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _seed_0001(engine: Engine) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO orgs VALUES ('o1', 'Acme', :now)"), {"now": now})
        conn.execute(
            text("INSERT INTO users VALUES ('u1', 'o1', 'a@example.com', :now)"), {"now": now}
        )
        conn.execute(
            text(
                "INSERT INTO databases (id, org_id, name, dialect, mode, revision, envelope, "
                "schema_json, max_rows, timeout_s, created_by, created_at, updated_at) VALUES "
                "('d1', 'o1', 'shop', 'sqlite', 'cloud', 1, '{}', '{}', 7, 9, 'u1', :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text("INSERT INTO api_keys VALUES ('k1', 'o1', 'u1', :b, :b, 'first', :now, NULL)"),
            {"now": now, "b": b"\0" * 16},
        )
        conn.execute(text("INSERT INTO database_access VALUES ('d1', 'k1')"))
        conn.execute(text("INSERT INTO audit_heads VALUES ('o1', 0, :h)"), {"h": "0" * 64})


def _check_head(engine: Engine) -> None:
    with engine.connect() as conn:
        policy = json.loads(conn.execute(text("SELECT policy FROM databases")).scalar_one())
        columns = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT name FROM pragma_table_info('databases')"
                    if engine.dialect.name == "sqlite"
                    else "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'databases'"
                )
            )
        }
        (key,) = conn.execute(text("SELECT query_hash_key FROM orgs")).one()
    assert policy == {"max_rows": 7, "timeout_s": 9.0}
    assert isinstance(key, bytes) and len(key) == 32
    with engine.connect() as conn:  # rebuilt tables keep their children
        assert conn.execute(text("SELECT count(*) FROM database_access")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM audit_heads")).scalar_one() == 1
    assert "policy" in columns and "max_rows" not in columns and "timeout_s" not in columns


def test_policy_migration_on_sqlite(tmp_path: Path) -> None:
    engine = open_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine, "0001")
    _seed_0001(engine)
    migrate(engine)
    _check_head(engine)
    migrate(engine)  # idempotent
    engine.dispose()


@pytest.mark.postgres
def test_policy_migration_on_postgresql(pg_db: str) -> None:
    engine = open_store_engine(f"postgresql://postgres@127.0.0.1:5432/{pg_db}")
    migrate(engine, "0001")
    _seed_0001(engine)
    migrate(engine)
    _check_head(engine)
    engine.dispose()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_db}") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (_head(),)


@pytest.mark.postgres
def test_insert_only_app_role(pg_db: str, pg_admin: Any, tmp_path: Path) -> None:
    """The server can run as a role that cannot UPDATE, DELETE or TRUNCATE audit rows at all."""
    from tests.conftest import run_live_server
    from tests.integration.cli import call, run_cli, signup
    from tests.services import unique

    role = unique("cnx_app")
    pg_admin.execute(f"CREATE ROLE {role} LOGIN")
    owner_url = f"postgresql://postgres@127.0.0.1:5432/{pg_db}"
    app_url = f"postgresql://{role}@127.0.0.1:5432/{pg_db}"
    try:
        proc = run_cli("store", "migrate", "--store-url", owner_url, "--app-role", role)
        assert "insert-only" in proc.stdout
        server = run_live_server(tmp_path / "data", tmp_path / "log", store_url=app_url)
        live = next(server)
        try:
            key = signup(live.url)["api_key"]
            assert not call(live.url, key, "list_databases", {}).is_error
        finally:
            next(server, None)
        with psycopg.connect(app_url, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM audit_records").fetchone() == (1,)
            for statement in (
                "UPDATE audit_records SET body = '{}'",
                "DELETE FROM audit_records",
                "TRUNCATE audit_records",
                "DELETE FROM audit_checkpoints",
                "DROP TRIGGER audit_records_no_change ON audit_records",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
    finally:
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
        pg_admin.execute(f"DROP ROLE IF EXISTS {role}")
    bad = run_cli(
        "store", "migrate", "--store-url", owner_url, "--app-role", "Robert'); DROP", check=False
    )
    assert bad.returncode == 1 and "lower-case SQL identifier" in bad.stderr
