"""Exposure: a canary password in every URL must appear nowhere the server can see or say.

Runs every flow (add, test, list, describe, query, rejected and failed queries,
wrong password, unreachable host) with canary credentials, then scans the data
directory, the server's log and every response body for the password, the
URLs and the API key: zero hits.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from pathlib import Path

import httpx2
import pymysql
import pytest

from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, run_cli, signup
from tests.services import MARIA, unique


@pytest.mark.postgres
@pytest.mark.mariadb
def test_canary_password_never_escapes(
    live_server: LiveServer, pg_db: str, pg_admin, maria_db: str
) -> None:
    canary = "Canary-" + secrets.token_hex(8)
    pg_role = unique("cnx_canary")
    maria_user = unique("cnx_canary")
    pg_admin.execute(f"CREATE ROLE {pg_role} LOGIN PASSWORD '{canary}'")
    seen: list[str] = []
    try:
        pg_admin.execute(f"GRANT CONNECT ON DATABASE {pg_db} TO {pg_role}")
        with pymysql.connect(**MARIA, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE USER '{maria_user}'@'%' IDENTIFIED BY '{canary}'")
            cur.execute(f"GRANT SELECT ON {maria_db}.* TO '{maria_user}'@'%'")
            cur.execute(f"CREATE TABLE {maria_db}.t (id INT PRIMARY KEY, v VARCHAR(10))")
            cur.execute(f"INSERT INTO {maria_db}.t VALUES (1, 'a'), (2, 'b')")
        pg_url = f"postgresql://{pg_role}:{canary}@127.0.0.1:5432/{pg_db}"
        maria_url = f"mysql://{maria_user}:{canary}@127.0.0.1:3306/{maria_db}"
        urls = [pg_url, maria_url]

        account = signup(live_server.url)
        key = account["api_key"]
        env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
        for name, url in (("pg", pg_url), ("maria", maria_url)):
            proc = add_db(live_server.url, key, name, url)
            assert proc.returncode == 0, proc.stderr
            seen += [proc.stdout, proc.stderr]
            proc = run_cli("db", "test", name, "--json", env=env)
            seen += [proc.stdout, proc.stderr]

        def mcp(tool: str, args: dict) -> None:
            result = call(live_server.url, key, tool, args)
            seen.append(result.model_dump_json())

        for db in ("pg", "maria"):
            mcp("list_tables", {"database": db})
            mcp("query", {"database": db, "sql": "SELECT 1 AS x"})
            mcp("query", {"database": db, "sql": "SELECT * FROM no_such_table"})
            mcp("query", {"database": db, "sql": "DELETE FROM t"})
            mcp("query", {"database": db, "sql": "SELEC broken"})
        mcp("describe_table", {"database": "maria", "table": "t"})
        mcp("list_databases", {})

        # The database now rejects the password: the server path reports it without echoing it.
        with pymysql.connect(**MARIA, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(
                f"ALTER USER '{maria_user}'@'%' IDENTIFIED BY 'changed-{secrets.token_hex(4)}'"
            )
        refused = call(live_server.url, key, "query", {"database": "maria", "sql": "SELECT 2 AS y"})
        seen.append(refused.model_dump_json())
        assert refused.is_error
        proc = run_cli("db", "test", "maria", env=env, check=False)
        assert proc.returncode == 1
        seen += [proc.stdout, proc.stderr]

        # Unreachable and rejected at add time: the CLI's own messages stay clean too.
        for url in (
            f"postgresql://{pg_role}:{canary}@127.0.0.1:1/{pg_db}",
            f"mysql://{maria_user}:{canary}@127.0.0.1:3306/{maria_db}",
        ):
            proc = add_db(live_server.url, key, "broken", url)
            assert proc.returncode == 1
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
            seen += [proc.stdout, proc.stderr]

        with httpx2.Client(
            base_url=live_server.url, headers={"Authorization": f"Bearer {key}"}
        ) as http:
            for path in ("/api/v1/databases", "/api/v1/audit", "/api/v1/me", "/api/openapi.json"):
                seen.append(http.get(path).text)
        for args in (("db", "list", "--json"), ("db", "remove", "pg", "--json"), ("keys", "list")):
            proc = run_cli(*args, env=env)
            seen += [proc.stdout, proc.stderr]
        proc = run_cli("audit", "export", "--format", "jsonl", env=env)
        seen.append(proc.stdout)
        assert len(proc.stdout.splitlines()) >= 12
    finally:
        pg_admin.execute(f"REVOKE ALL ON DATABASE {pg_db} FROM {pg_role}")
        pg_admin.execute(f"DROP ROLE IF EXISTS {pg_role}")
        with pymysql.connect(**MARIA, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{maria_user}'@'%'")

    needles = {canary, urllib.parse.quote(canary), *urls, key, key.split("_")[2]}
    haystacks = {f"response {i}": text for i, text in enumerate(seen)}
    haystacks["server log"] = live_server.log_path.read_text(errors="replace")
    for path in Path(live_server.data_dir).rglob("*"):
        if path.is_file():
            haystacks[str(path.relative_to(live_server.data_dir))] = path.read_bytes().decode(
                "latin-1"
            )
    assert len(haystacks["server log"]) > 0
    hits = [(where, n[:12]) for where, text in haystacks.items() for n in needles if n in text]
    assert hits == [], f"secrets found: {json.dumps(hits)}"
