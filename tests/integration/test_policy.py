"""Per-database policy through the CLI, REST and MCP: tables, denied columns, limits."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2

from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, run_cli, signup, text_of
from tests.integration.test_cloud_flow import make_sqlite


def _setup(live: LiveServer, tmp_path: Path) -> tuple[str, dict[str, str]]:
    key = signup(live.url)["api_key"]
    assert add_db(live.url, key, "shop", make_sqlite(tmp_path / "shop.db")).returncode == 0
    return key, {"CONEXOR_SERVER": live.url, "CONEXOR_API_KEY": key}


def test_policy_show_and_defaults(live_server: LiveServer, tmp_path: Path) -> None:
    _, env = _setup(live_server, tmp_path)
    shown = json.loads(run_cli("db", "policy", "shop", "--json", env=env).stdout)
    policy = shown["policy"]
    assert policy["max_rows"] == 1000
    assert policy["denied_columns"] == []
    assert policy["allowed_tables"] is None


def test_denied_column_is_refused_even_through_star(
    live_server: LiveServer, tmp_path: Path
) -> None:
    key, env = _setup(live_server, tmp_path)
    run_cli("db", "policy", "shop", "--deny-column", "customers.name", env=env)
    for sql in (
        "SELECT * FROM customers",
        "SELECT c.* FROM customers c",
        "SELECT name FROM customers",
    ):
        r = call(live_server.url, key, "query", {"database": "shop", "sql": sql})
        assert r.is_error, sql
        assert "customers.name" in text_of(r)
    ok = call(
        live_server.url,
        key,
        "query",
        {"database": "shop", "sql": "SELECT id, country FROM customers"},
    )
    assert not ok.is_error
    last = json.loads(run_cli("audit", "export", env=env).stdout.splitlines()[-2])
    assert (last["outcome"], last["error_code"]) == ("rejected", "deny.column_denied")


def test_allowed_tables_and_row_cap(live_server: LiveServer, tmp_path: Path) -> None:
    key, env = _setup(live_server, tmp_path)
    run_cli("db", "policy", "shop", "--allow-table", "orders", "--max-rows", "2", env=env)
    denied = call(
        live_server.url, key, "query", {"database": "shop", "sql": "SELECT id FROM customers"}
    )
    assert denied.is_error and "customers" in text_of(denied)
    capped = call(
        live_server.url, key, "query", {"database": "shop", "sql": "SELECT id FROM orders"}
    )
    assert capped.structured_content["row_count"] == 2
    assert capped.structured_content["truncated"] is True
    over = call(
        live_server.url,
        key,
        "query",
        {"database": "shop", "sql": "SELECT id FROM orders", "max_rows": 3},
    )
    assert over.is_error and "2" in text_of(over)
    listed = call(live_server.url, key, "list_databases", {})
    assert listed.structured_content["rows"][0][4] == 2


def test_invalid_policy_is_refused_in_one_line(live_server: LiveServer, tmp_path: Path) -> None:
    key, env = _setup(live_server, tmp_path)
    with httpx2.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {key}"}
    ) as http:
        for bad in ({"max_rows": 0}, {"surprise": 1}, {"denied_columns": "name"}):
            r = http.put("/api/v1/databases/shop/policy", json={"policy": bad})
            assert r.status_code == 400, r.text
            assert "\n" not in r.json()["error"]["message"]
    bad_file = tmp_path / "p.json"
    bad_file.write_text("{not json")
    proc = run_cli("db", "policy", "shop", "--file", str(bad_file), env=env, check=False)
    assert proc.returncode == 1 and "could not be read as JSON" in proc.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"denied_columns": ["orders.total"], "max_rows": 10}))
    shown = json.loads(
        run_cli("db", "policy", "shop", "--file", str(good), "--json", env=env).stdout
    )
    assert shown["policy"]["denied_columns"] == ["orders.total"]
    assert shown["policy"]["max_rows"] == 10


def test_schema_tools_hide_what_the_policy_denies(live_server: LiveServer, tmp_path: Path) -> None:
    key, env = _setup(live_server, tmp_path)
    found = call(live_server.url, key, "search_schema", {"database": "shop", "pattern": "name"})
    assert found.structured_content["rows"][0][:2] == ["customers", "name"]
    wild = call(live_server.url, key, "search_schema", {"database": "shop", "pattern": "*order*"})
    assert {r[0] for r in wild.structured_content["rows"]} == {"orders", "big_orders"}

    run_cli(
        "db",
        "policy",
        "shop",
        "--deny-column",
        "customers.name",
        "--allow-table",
        "customers",
        env=env,
    )
    tables = call(live_server.url, key, "list_tables", {"database": "shop"}).structured_content
    assert [r[0] for r in tables["rows"]] == ["customers"]
    cols = call(live_server.url, key, "describe_table", {"database": "shop", "table": "customers"})
    assert [r[0] for r in cols.structured_content["rows"]] == ["id", "country"]
    hidden = call(live_server.url, key, "describe_table", {"database": "shop", "table": "orders"})
    assert hidden.is_error and "unknown table" in text_of(hidden)
    gone = call(live_server.url, key, "search_schema", {"database": "shop", "pattern": "name"})
    assert gone.structured_content["rows"] == []


def test_policy_change_reaches_the_next_call_despite_the_read_cache(
    live_server: LiveServer, tmp_path: Path
) -> None:
    # The first call fills the server's read cache (key, databases, policy);
    # the policy change must drop it, so the very next call is refused.
    # REST, not the CLI, so the change lands well inside the cache's one second.
    key, _ = _setup(live_server, tmp_path)
    args = {"database": "shop", "sql": "SELECT name FROM customers"}
    assert not call(live_server.url, key, "query", args).is_error
    auth = {"Authorization": f"Bearer {key}"}
    with httpx2.Client(base_url=f"{live_server.url}/api/v1", headers=auth) as http:
        policy = http.get("/databases/shop/policy").json()["policy"]
        policy["denied_columns"] = ["customers.name"]
        assert http.put("/databases/shop/policy", json={"policy": policy}).status_code == 200
    refused = call(live_server.url, key, "query", args)
    assert refused.is_error
    assert "customers.name" in text_of(refused)


def test_refused_writes_do_not_empty_the_read_cache(
    live_server: LiveServer, tmp_path: Path
) -> None:
    # A caller without a valid key cannot make every replica re-read the store.
    key, _ = _setup(live_server, tmp_path)
    assert not call(live_server.url, key, "list_databases", {}).is_error
    cache = live_server.app.state.read_cache
    filled = len(cache)
    assert filled > 0
    with httpx2.Client(base_url=live_server.url) as http:
        for _ in range(3):
            r = http.post(
                "/api/v1/keys", headers={"Authorization": "Bearer cnx_nope"}, json={"label": "x"}
            )
            assert r.status_code == 401
    assert len(cache) == filled
    # A write that succeeds drops it.
    with httpx2.Client(base_url=live_server.url) as http:
        made = http.post(
            "/api/v1/keys", headers={"Authorization": f"Bearer {key}"}, json={"label": "x"}
        )
        assert made.status_code < 300
    assert len(cache) == 0
