"""Failures on the server path: tampered or swapped envelopes, unreachable databases, model metadata."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import anyio

from conexor.mcp.remote import connect
from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, run_cli, signup, text_of
from tests.integration.test_cloud_flow import make_sqlite


def _store(live: LiveServer) -> sqlite3.Connection:
    return sqlite3.connect(live.data_dir / "conexor.db")


def _two_databases(live: LiveServer, tmp_path: Path) -> str:
    key = signup(live.url)["api_key"]
    for name in ("one", "two"):
        proc = add_db(live.url, key, name, make_sqlite(tmp_path / f"{name}.db"))
        assert proc.returncode == 0, proc.stderr
    return key


def test_tampered_envelope_is_refused_in_one_line(live_server: LiveServer, tmp_path: Path) -> None:
    key = _two_databases(live_server, tmp_path)
    with _store(live_server) as store:
        (text,) = store.execute("SELECT envelope FROM databases WHERE name = 'one'").fetchone()
        env = json.loads(text)
        env["ct"] = ("A" if env["ct"][0] != "A" else "B") + env["ct"][1:]
        store.execute("UPDATE databases SET envelope = ? WHERE name = 'one'", (json.dumps(env),))
        # Both rows before any call: a change made behind the server's back (not
        # through it) reaches its read cache within a second, not at once.
        store.execute("UPDATE databases SET envelope = 'not json' WHERE name = 'two'")
    result = call(live_server.url, key, "query", {"database": "one", "sql": "SELECT 1"})
    assert result.is_error
    assert text_of(result) == "the stored credential could not be decrypted with this API key"

    broken = call(live_server.url, key, "query", {"database": "two", "sql": "SELECT 1"})
    assert broken.is_error
    assert text_of(broken).startswith("the encrypted credential is malformed")


def test_envelope_swapped_between_rows_does_not_open(
    live_server: LiveServer, tmp_path: Path
) -> None:
    key = _two_databases(live_server, tmp_path)
    with _store(live_server) as store:
        (one,) = store.execute("SELECT envelope FROM databases WHERE name = 'one'").fetchone()
        store.execute("UPDATE databases SET envelope = ? WHERE name = 'two'", (one,))
    result = call(live_server.url, key, "query", {"database": "two", "sql": "SELECT 1"})
    assert result.is_error
    assert "could not be decrypted" in text_of(result)
    # The untouched row still works.
    assert not call(live_server.url, key, "query", {"database": "one", "sql": "SELECT 1"}).is_error


def test_unreachable_database_is_one_clear_line(live_server: LiveServer, tmp_path: Path) -> None:
    key = _two_databases(live_server, tmp_path)
    (tmp_path / "one.db").unlink()
    result = call(live_server.url, key, "query", {"database": "one", "sql": "SELECT 1"})
    assert result.is_error
    assert text_of(result) == "the database could not be reached"
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
    proc = run_cli("db", "test", "one", env=env, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: the database could not be reached"
    records = [json.loads(x) for x in run_cli("audit", "export", env=env).stdout.splitlines()]
    assert records[-1]["outcome"] == "error"
    assert records[-1]["error_code"] == "database_unreachable"


def test_model_from_call_meta(live_server: LiveServer, tmp_path: Path) -> None:
    key = _two_databases(live_server, tmp_path)

    async def go() -> Any:
        async with connect(f"{live_server.url}/mcp", key, client_name="meta-client") as client:
            return await client.call_tool(
                "list_databases", {}, meta={"conexor.io/model": "claude-x"}
            )

    assert not anyio.run(go).is_error
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
    last = json.loads(run_cli("audit", "export", env=env).stdout.splitlines()[-1])
    assert (last["client_name"], last["model"]) == ("meta-client", "claude-x")


def test_no_result_without_its_audit_record(live_server: LiveServer, tmp_path: Path) -> None:
    """Fail closed: when the record cannot be written, the caller gets no data."""
    key = _two_databases(live_server, tmp_path)
    assert not call(live_server.url, key, "list_databases", {}).is_error
    with _store(live_server) as store:
        store.execute("DELETE FROM audit_heads")  # the chain head is gone: appends must fail
    result = call(
        live_server.url, key, "query", {"database": "one", "sql": "SELECT name FROM customers"}
    )
    assert result.is_error
    assert text_of(result) == "the audit record could not be written, so the result was withheld"
    assert result.structured_content is None
    assert "Name0" not in result.model_dump_json()


def test_store_change_behind_the_servers_back_is_seen_within_a_second(
    live_server: LiveServer, tmp_path: Path
) -> None:
    # Changes through the server drop its read cache at once; a row rewritten
    # directly in the store (an operator, a restore, an attacker) is read
    # again when the cached copy expires, one second at most.
    # The first call caches the key's databases, "two" included (never opened,
    # so no pooled engine stands in for its envelope).
    key = _two_databases(live_server, tmp_path)
    assert not call(live_server.url, key, "query", {"database": "one", "sql": "SELECT 1"}).is_error
    with _store(live_server) as store:
        store.execute("UPDATE databases SET envelope = 'not json' WHERE name = 'two'")
    time.sleep(1.1)
    result = call(live_server.url, key, "query", {"database": "two", "sql": "SELECT 1"})
    assert result.is_error
    assert text_of(result).startswith("the encrypted credential is malformed")
