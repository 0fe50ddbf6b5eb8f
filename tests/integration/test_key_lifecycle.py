"""Sharing, revoking and rotating keys: credentials are re-wrapped on the client, never opened on the server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from mcp import MCPError

from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, run_cli, signup
from tests.integration.test_cloud_flow import make_sqlite


def _wraps(live: LiveServer) -> list[str]:
    with sqlite3.connect(live.data_dir / "conexor.db") as store:
        (text,) = store.execute("SELECT envelope FROM databases WHERE name = 'shop'").fetchone()
    return [w["kid"] for w in json.loads(text)["wraps"]]


def _query_ok(live: LiveServer, key: str) -> bool:
    try:
        r = call(
            live.url,
            key,
            "query",
            {"database": "shop", "sql": "SELECT count(*) AS n FROM customers"},
        )
    except ExceptionGroup as group:
        if group.subgroup(lambda e: isinstance(e, MCPError)) is None:  # not the 401 we expect
            raise
        return False
    return not r.is_error and r.structured_content["rows"] == [[30]]


def test_share_revoke_and_rotate(live_server: LiveServer, tmp_path: Path) -> None:
    key_a = signup(live_server.url)["api_key"]
    assert add_db(live_server.url, key_a, "shop", make_sqlite(tmp_path / "shop.db")).returncode == 0
    env_a = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key_a}
    key_b = json.loads(run_cli("keys", "create", "--json", env=env_a).stdout)["api_key"]
    env_b = {**env_a, "CONEXOR_API_KEY": key_b}
    assert json.loads(run_cli("db", "list", "--json", env=env_b).stdout) == {"databases": []}

    shared = json.loads(
        run_cli("db", "share", "shop", "--json", env={**env_a, "CONEXOR_SHARE_KEY": key_b}).stdout
    )
    assert len(shared["key_ids"]) == 2
    assert _query_ok(live_server, key_b)

    # Revoking A removes its wrap from the stored envelope; B keeps working.
    id_a = key_a.split("_")[1]
    revoked = json.loads(run_cli("keys", "revoke", id_a, "--json", env=env_b).stdout)
    assert revoked["databases_unwrapped"] == 1
    assert _wraps(live_server) == [key_b.split("_")[1]]
    assert not _query_ok(live_server, key_a)
    assert _query_ok(live_server, key_b)

    # Rotation: a new key gets every database, then the old key is revoked.
    rotated = json.loads(run_cli("keys", "rotate", "--json", env=env_b).stdout)
    key_c = rotated["api_key"]
    assert rotated["databases"] == ["shop"]
    assert _wraps(live_server) == [key_c.split("_")[1]]
    assert not _query_ok(live_server, key_b)
    assert _query_ok(live_server, key_c)


def test_sharing_refuses_bad_keys_and_changed_ciphertext(
    live_server: LiveServer, tmp_path: Path
) -> None:
    import httpx2

    key = signup(live_server.url)["api_key"]
    assert add_db(live_server.url, key, "shop", make_sqlite(tmp_path / "shop.db")).returncode == 0
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
    bad = run_cli("db", "share", "shop", env={**env, "CONEXOR_SHARE_KEY": "cnx_nope"}, check=False)
    assert bad.returncode == 1 and bad.stderr.strip() == "error: invalid API key"
    missing = run_cli("db", "share", "shop", env=env, check=False)
    assert missing.returncode == 1 and "CONEXOR_SHARE_KEY" in missing.stderr
    with httpx2.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {key}"}
    ) as http:
        current = http.get("/api/v1/databases/shop/envelope").json()
        forged = dict(current["envelope"])
        forged["ct"] = ("A" if forged["ct"][0] != "A" else "B") + forged["ct"][1:]
        r = http.put("/api/v1/databases/shop/envelope", json={"revision": 1, "envelope": forged})
        assert r.status_code == 400 and "only the wraps may change" in r.json()["error"]["message"]
        stale = http.put(
            "/api/v1/databases/shop/envelope", json={"revision": 7, "envelope": current["envelope"]}
        )
        assert stale.status_code == 400
    assert _query_ok(live_server, key)


def test_envelope_endpoint_is_ciphertext_only(live_server: LiveServer, tmp_path: Path) -> None:
    import httpx2

    key = signup(live_server.url)["api_key"]
    url = make_sqlite(tmp_path / "shop.db")
    assert add_db(live_server.url, key, "shop", url).returncode == 0
    with httpx2.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {key}"}
    ) as http:
        body = http.get("/api/v1/databases/shop/envelope").text
    assert str(tmp_path) not in body and "sqlite" not in body


def test_agent_mode_databases_follow_sharing_and_rotation(live_server: LiveServer) -> None:
    """Regression: rotation used to leave agent-mode databases with the revoked key only."""
    key = signup(live_server.url)["api_key"]
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
    run_cli("db", "add", "onprem", "--mode", "agent", "--dialect", "mysql", "--json", env=env)
    other = json.loads(run_cli("keys", "create", "--json", env=env).stdout)["api_key"]
    shared = json.loads(
        run_cli("db", "share", "onprem", "--json", env={**env, "CONEXOR_SHARE_KEY": other}).stdout
    )
    assert len(shared["key_ids"]) == 2
    listed = run_cli("db", "list", "--json", env={**env, "CONEXOR_API_KEY": other}).stdout
    assert [d["name"] for d in json.loads(listed)["databases"]] == ["onprem"]

    rotated = json.loads(run_cli("keys", "rotate", "--json", env=env).stdout)
    assert rotated["databases"] == ["onprem"]
    after = run_cli("db", "list", "--json", env={**env, "CONEXOR_API_KEY": rotated["api_key"]})
    assert [d["name"] for d in json.loads(after.stdout)["databases"]] == ["onprem"]
