"""The cloud-mode spine end to end: CLI subprocesses, a live server, the official MCP client."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import httpx2
import pytest
from mcp import MCPError

from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, run_cli, signup, text_of


def make_sqlite(path: Path, rows: int = 30) -> str:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL);
        CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 50;
        """
    )
    conn.executemany(
        "INSERT INTO customers VALUES (?, ?, ?)",
        [(i, f"Name{i:03d}", "NL" if i % 2 else "DE") for i in range(1, rows + 1)],
    )
    conn.executemany(
        "INSERT INTO orders VALUES (?, ?, ?)",
        [(i, (i % rows) + 1, i * 3.5) for i in range(1, rows + 1)],
    )
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


@pytest.fixture
def account(live_server: LiveServer, tmp_path: Path) -> tuple[str, str]:
    """A signed-up account with one SQLite database named 'shop'."""
    data = signup(live_server.url)
    url = make_sqlite(tmp_path / "shop.db")
    proc = add_db(live_server.url, data["api_key"], "shop", url)
    assert proc.returncode == 0, proc.stderr
    return live_server.url, data["api_key"]


def test_signup_prints_key_once_in_contract_shape(live_server: LiveServer) -> None:
    data = signup(live_server.url, "bob@example.com")
    assert data["api_key"].startswith("cnx_")
    assert data["org"]["name"] == "Acme"
    assert data["user"]["email"] == "bob@example.com"
    again = run_cli(
        "signup", "--server", live_server.url, "--email", "bob@example.com", check=False
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "error: an account with this email already exists"


def test_db_add_list_and_tools(account: tuple[str, str]) -> None:
    server, key = account
    env = {"CONEXOR_SERVER": server, "CONEXOR_API_KEY": key}
    listed = json.loads(run_cli("db", "list", "--json", env=env).stdout)
    assert [(d["name"], d["dialect"], d["mode"], d["tables"]) for d in listed["databases"]] == [
        ("shop", "sqlite", "cloud", 3)
    ]

    dbs = call(server, key, "list_databases", {})
    assert not dbs.is_error
    assert dbs.structured_content["rows"][0][:3] == ["shop", "sqlite", "cloud"]

    tables = call(server, key, "list_tables", {"database": "shop"})
    names = {row[0]: row for row in tables.structured_content["rows"]}
    assert names["customers"][1:3] == ["table", 3]
    assert names["big_orders"][1] == "view"

    desc = call(server, key, "describe_table", {"database": "shop", "table": "orders"})
    cols = {row[0]: row for row in desc.structured_content["rows"]}
    assert cols["id"][3] == "PK"
    assert "customers.id" in cols["customer_id"][3]

    result = call(
        server,
        key,
        "query",
        {"database": "shop", "sql": "SELECT id, name FROM customers ORDER BY id", "max_rows": 5},
    )
    assert not result.is_error
    sc = result.structured_content
    assert sc["columns"] == ["id", "name"]
    assert sc["rows"] == [[i, f"Name{i:03d}"] for i in range(1, 6)]
    assert sc["row_count"] == 5
    assert sc["truncated"] is True
    assert "Name001" in text_of(result)

    full = call(
        server, key, "query", {"database": "shop", "sql": "select count(*) as n from orders"}
    )
    assert full.structured_content == {
        "columns": ["n"],
        "rows": [[30]],
        "row_count": 1,
        "truncated": False,
    }


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_both_protocol_eras(account: tuple[str, str], mode: str) -> None:
    server, key = account
    result = call(server, key, "query", {"database": "shop", "sql": "SELECT 1 AS one"}, mode=mode)  # type: ignore[arg-type]
    assert result.structured_content["rows"] == [[1]]


BAD_INPUTS = [
    (
        "unknown database",
        "query",
        {"database": "nope", "sql": "SELECT 1"},
        "unknown database 'nope'",
    ),
    (
        "unknown table",
        "describe_table",
        {"database": "shop", "table": "nope"},
        "unknown table 'nope'",
    ),
    ("malformed sql", "query", {"database": "shop", "sql": "SELEC * FROM"}, "not valid"),
    ("non-select", "query", {"database": "shop", "sql": "DELETE FROM orders"}, "read-only"),
    ("two statements", "query", {"database": "shop", "sql": "SELECT 1; SELECT 2"}, "single"),
    (
        "too long",
        "query",
        {"database": "shop", "sql": "SELECT 1 -- " + "x" * 102_400},
        "longer than",
    ),
    ("max_rows zero", "query", {"database": "shop", "sql": "SELECT 1", "max_rows": 0}, "max_rows"),
    (
        "max_rows huge",
        "query",
        {"database": "shop", "sql": "SELECT 1", "max_rows": 10_001},
        "max_rows",
    ),
    (
        "max_rows over cap",
        "query",
        {"database": "shop", "sql": "SELECT 1", "max_rows": 5000},
        "at most 1000",
    ),
    (
        "unknown argument",
        "query",
        {"database": "shop", "sql": "SELECT 1", "rows": 3},
        "unknown argument",
    ),
    ("missing argument", "list_tables", {}, "missing required argument 'database'"),
    ("unknown tool", "drop_everything", {}, "unknown tool"),
]


@pytest.mark.parametrize(
    ("label", "tool", "args", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_one_clear_line(
    account: tuple[str, str], label: str, tool: str, args: dict, expected: str
) -> None:
    server, key = account
    result = call(server, key, tool, args)
    assert result.is_error, label
    text = text_of(result)
    assert "\n" not in text and len(text) < 300, text
    assert expected.lower() in text.lower(), text
    assert "Traceback" not in text
    # Nothing changed: the data is all still there.
    count = call(server, key, "query", {"database": "shop", "sql": "SELECT count(*) FROM orders"})
    assert count.structured_content["rows"] == [[30]]


def test_every_call_is_audited_and_exportable(account: tuple[str, str], tmp_path: Path) -> None:
    server, key = account
    call(
        server,
        key,
        "query",
        {"database": "shop", "sql": "SELECT * FROM customers", "max_rows": 3},
        model="gpt-test",
    )
    call(server, key, "query", {"database": "shop", "sql": "DROP TABLE orders"})
    env = {"CONEXOR_SERVER": server, "CONEXOR_API_KEY": key}
    lines = run_cli("audit", "export", "--format", "jsonl", env=env).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2]
    ok, rejected = records
    assert ok["tool"] == "query" and ok["outcome"] == "ok" and ok["row_count"] == 3
    assert ok["model"] == "gpt-test" and ok["client_name"] == "pytest-client"
    assert ok["database"] == "shop" and ok["mode"] == "cloud"
    assert len(ok["query_hash"]) == 64 and ok["duration_us"] >= 0
    assert ok["params"] == {"database": "shop", "sql": "SELECT * FROM customers", "max_rows": 3}
    assert rejected["outcome"] == "rejected" and rejected["prev_hash"] == ok["record_hash"]
    # Never the rows: customer names returned by the query are nowhere in the trail.
    assert "Name00" not in json.dumps(records)
    assert all("rows" not in r for r in records)

    out = tmp_path / "audit.csv"
    run_cli("audit", "export", "--format", "csv", "--out", str(out), env=env)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["tool"] for r in rows] == ["query", "query"]
    assert run_cli("audit", "verify", env=env).stdout.startswith("audit trail intact: 2 records")

    bad = run_cli("audit", "export", "--format", "xml", env=env, check=False)
    assert bad.returncode == 1 and "unknown format" in bad.stderr


def test_wrong_missing_malformed_and_revoked_keys(account: tuple[str, str]) -> None:
    server, key = account
    with httpx2.Client(base_url=server) as http:
        for header in (
            {},
            {"Authorization": "Bearer nope"},
            {"Authorization": f"Bearer {key[:-1]}x"},
        ):
            r = http.get("/api/v1/databases", headers=header)
            assert r.status_code == 401
            assert r.json() == {"error": {"code": "invalid_api_key", "message": "invalid API key"}}
            m = http.post(
                "/mcp", headers={**header, "Accept": "application/json, text/event-stream"}, json={}
            )
            assert m.status_code == 401

    env = {"CONEXOR_SERVER": server, "CONEXOR_API_KEY": key}
    second = json.loads(run_cli("keys", "create", "--label", "ci", "--json", env=env).stdout)
    run_cli("keys", "revoke", second["key_id"], env=env)
    denied = run_cli("db", "list", env={**env, "CONEXOR_API_KEY": second["api_key"]}, check=False)
    assert denied.returncode == 1 and denied.stderr.strip() == "error: invalid API key"
    # The SDK reports the 401 as an MCPError inside (nested) exception groups.
    with pytest.raises(ExceptionGroup) as caught:
        call(server, second["api_key"], "list_databases", {})
    assert caught.group_contains(MCPError)


def test_revoking_a_key_that_was_in_use_cuts_it_off(account: tuple[str, str]) -> None:
    server, key = account
    assert not call(server, key, "query", {"database": "shop", "sql": "SELECT 1"}).is_error
    env = {"CONEXOR_SERVER": server, "CONEXOR_API_KEY": key}
    other = json.loads(run_cli("keys", "create", "--json", env=env).stdout)
    key_id = key.split("_")[1]
    run_cli("keys", "revoke", key_id, env={**env, "CONEXOR_API_KEY": other["api_key"]})
    with pytest.raises(ExceptionGroup) as caught:
        call(server, key, "query", {"database": "shop", "sql": "SELECT 1"})
    assert caught.group_contains(MCPError)
    listed = json.loads(
        run_cli("keys", "list", "--json", env={**env, "CONEXOR_API_KEY": other["api_key"]}).stdout
    )
    assert {k["key_id"]: k["revoked"] for k in listed["keys"]}[key_id] is True


def test_repeated_failures_are_rate_limited(live_server: LiveServer) -> None:
    with httpx2.Client(base_url=live_server.url) as http:
        codes = [
            http.get("/api/v1/me", headers={"Authorization": "Bearer cnx_bad_key"}).status_code
            for _ in range(live_server.settings.auth_failures_per_minute + 2)
        ]
    assert codes[0] == 401
    assert codes[-1] == 429


def test_db_remove_then_unknown(account: tuple[str, str]) -> None:
    server, key = account
    env = {"CONEXOR_SERVER": server, "CONEXOR_API_KEY": key}
    run_cli("db", "remove", "shop", env=env)
    assert json.loads(run_cli("db", "list", "--json", env=env).stdout) == {"databases": []}
    gone = run_cli("db", "remove", "shop", env=env, check=False)
    assert gone.returncode == 1 and "unknown database 'shop'" in gone.stderr


def test_url_never_on_argv_and_read_from_stdin(live_server: LiveServer, tmp_path: Path) -> None:
    data = signup(live_server.url)
    url = make_sqlite(tmp_path / "s.db")
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": data["api_key"]}
    proc = run_cli("db", "add", "viastdin", "--url-stdin", "--json", env=env, stdin=url + "\n")
    assert json.loads(proc.stdout)["name"] == "viastdin"
    none = run_cli("db", "add", "nourl", env=env, check=False)
    assert none.returncode == 1 and "CONEXOR_DB_URL" in none.stderr
    bad = add_db(live_server.url, data["api_key"], "bad", "oracle://u:pw@h/db")
    assert (
        bad.returncode == 1 and "unsupported database URL" in bad.stderr and "pw" not in bad.stderr
    )


def test_agent_mode_needs_a_dialect(live_server: LiveServer) -> None:
    key = signup(live_server.url)["api_key"]
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
    proc = run_cli("db", "add", "onprem", "--mode", "agent", env=env, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: agent mode needs --dialect postgresql, mysql or sqlite"


def test_cli_without_server_or_key_says_what_is_missing() -> None:
    proc = run_cli("db", "list", check=False)
    assert proc.returncode == 2
    assert "--server" in proc.stderr
    down = run_cli(
        "db", "list", "--server", "http://127.0.0.1:9", "--api-key", "cnx_x_y", check=False
    )
    assert down.returncode == 1
    assert down.stderr.strip() == "error: could not reach the conexor server at http://127.0.0.1:9"
