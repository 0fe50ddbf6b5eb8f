"""The same server code on a PostgreSQL store: accounts, databases, the append-only audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_live_server
from tests.integration.cli import add_db, call, run_cli, signup
from tests.integration.test_cloud_flow import make_sqlite


@pytest.mark.postgres
def test_server_on_postgresql_store(pg_db: str, tmp_path: Path) -> None:
    store_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_db}"
    server = run_live_server(tmp_path / "data", tmp_path / "server.log", store_url=store_url)
    live = next(server)
    try:
        key = signup(live.url)["api_key"]
        assert add_db(live.url, key, "shop", make_sqlite(tmp_path / "shop.db")).returncode == 0
        r = call(
            live.url, key, "query", {"database": "shop", "sql": "SELECT count(*) FROM customers"}
        )
        assert r.structured_content["rows"] == [[30]]
        call(live.url, key, "query", {"database": "shop", "sql": "UPDATE customers SET name = 'x'"})
        env = {"CONEXOR_SERVER": live.url, "CONEXOR_API_KEY": key}
        records = [json.loads(x) for x in run_cli("audit", "export", env=env).stdout.splitlines()]
        assert [(r["seq"], r["outcome"]) for r in records] == [(1, "ok"), (2, "rejected")]
        assert run_cli("audit", "verify", env=env).returncode == 0
    finally:
        next(server, None)
    assert not (tmp_path / "data" / "conexor.db").exists()

    with psycopg.connect(store_url.replace("+psycopg", ""), autocommit=True) as conn:
        for statement in (
            "UPDATE audit_records SET body = '{}'",
            "DELETE FROM audit_records",
            "TRUNCATE audit_records",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM audit_records").fetchone() == (2,)
        tables = {
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        assert {
            "orgs",
            "users",
            "api_keys",
            "databases",
            "audit_records",
            "alembic_version",
        } <= tables


def test_sqlite_store_refuses_audit_changes(tmp_path: Path) -> None:
    import sqlite3

    server = run_live_server(tmp_path / "data", tmp_path / "server.log")
    live = next(server)
    try:
        key = signup(live.url)["api_key"]
        call(live.url, key, "list_databases", {})
    finally:
        next(server, None)
    conn = sqlite3.connect(tmp_path / "data" / "conexor.db")
    for statement in ("UPDATE audit_records SET body = '{}'", "DELETE FROM audit_records"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    assert conn.execute("SELECT count(*) FROM audit_records").fetchone() == (1,)
    conn.close()
