"""Named and generated tools end to end: CLI and REST to define, the official MCP client to call.

Real PostgreSQL and MariaDB databases, a live server, audit records read back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import psycopg
import pymysql
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.subscriptions import ToolsListChanged
from mcp.types import CallToolResult, ToolListChangedNotification

from tests.conftest import LiveServer, run_live_server
from tests.integration.cli import add_db, call, run_cli, text_of


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live server for the module (each test signs up its own organisation)."""
    base = tmp_path_factory.mktemp("tools")
    yield from run_live_server(base / "data", base / "server.log")


def _account(server: LiveServer, email: str) -> tuple[str, dict[str, str]]:
    response = httpx2.post(f"{server.url}/api/v1/signup", json={"email": email}, timeout=30)
    key = response.json()["api_key"]
    return key, {"CONEXOR_SERVER": server.url, "CONEXOR_API_KEY": key}


def _api(server: LiveServer, key: str, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx2.request(
        method,
        f"{server.url}/api/v1{path}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
        **kwargs,
    )
    return response.status_code, response.json()


def _audit(server: LiveServer, key: str) -> list[dict[str, Any]]:
    return _api(server, key, "GET", "/audit")[1]["records"]  # type: ignore[no-any-return]


def _ids(result: CallToolResult) -> list[Any]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return [row[0] for row in result.structured_content["rows"]]


def _error(result: CallToolResult) -> str:
    assert result.is_error, text_of(result)
    text = text_of(result)
    assert "\n" not in text and "Traceback" not in text
    return text


TYPED_TOOLS = """
tools:
  get_orders_by_country:
    description: Orders of customers in one country, newest first.
    database: {db}
    sql: |
      SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id
      WHERE c.country = :country AND o.total >= :min_total AND o.paid = :paid
        AND o.placed >= :since AND o.created < :before AND o.id IN (:ids)
        AND o.status = :status
      ORDER BY o.id LIMIT :limit
    parameters:
      - {{name: country, type: string, description: ISO country code}}
      - {{name: min_total, type: number, min: 0}}
      - {{name: paid, type: boolean, default: true}}
      - {{name: since, type: date, default: '2000-01-01'}}
      - {{name: before, type: timestamp, default: '2100-01-01T00:00:00Z'}}
      - {{name: ids, type: array, items: integer, max_items: 10}}
      - {{name: status, type: string, allowed_values: [open, shipped]}}
      - {{name: limit, type: integer, min: 1, max: 50, default: 10}}
  customers_named:
    description: Customers whose name starts with a prefix.
    database: {db}
    sql: SELECT id, name FROM customers WHERE name LIKE CONCAT(:prefix, '%') ORDER BY id
    parameters:
      - {{name: prefix, type: string, max_length: 40}}
toolsets:
  sales: [get_orders_by_country]
"""

ARGS = {"country": "DE", "min_total": 5, "ids": [1, 2, 3, 4], "status": "shipped"}


def _check_typed_tools(server: LiveServer, key: str) -> None:
    ok = call(server.url, key, "get_orders_by_country", ARGS)
    assert not ok.is_error, text_of(ok)
    assert _ids(ok) == [1, 3]
    narrowed = call(
        server.url,
        key,
        "get_orders_by_country",
        {**ARGS, "paid": False, "since": "2024-01-01", "before": "2024-12-31T23:00:00+01:00"},
    )
    assert _ids(narrowed) == [4]

    bad = {
        "min_total": ("-1", "argument 'min_total' must be a number of at least 0"),
        "paid": ("yes", "argument 'paid' must be true or false"),
        "since": ("yesterday", "argument 'since' must be a date like 2024-01-31"),
        "ids": ([], "argument 'ids' must be a list of 1 to 10 integers"),
        "status": ("lost", "argument 'status' must be one of: open, shipped"),
        "limit": (51, "argument 'limit' must be an integer from 1 to 50"),
    }
    for name, (value, message) in bad.items():
        assert (
            _error(call(server.url, key, "get_orders_by_country", {**ARGS, name: value})) == message
        )
    missing = {k: v for k, v in ARGS.items() if k != "country"}
    assert _error(call(server.url, key, "get_orders_by_country", missing)) == (
        "missing required argument 'country'"
    )

    # Injection attempts through parameters are inert: they are values, never SQL.
    for attempt in (
        "DE' OR '1'='1",
        "DE'; DROP TABLE orders; --",
        "DE\\' OR 1=1 -- ",
        'DE" OR "1"="1',
    ):
        result = call(server.url, key, "get_orders_by_country", {**ARGS, "country": attempt})
        assert not result.is_error and result.structured_content is not None
        assert result.structured_content["rows"] == []
    evil = call(server.url, key, "customers_named", {"prefix": "%' OR 1=1 -- "})
    assert evil.structured_content is not None and evil.structured_content["rows"] == []
    named = call(server.url, key, "customers_named", {"prefix": "Ann"})
    assert named.structured_content is not None and named.structured_content["rows"] == [
        [1, "Anna"]
    ]
    assert not call(
        server.url, key, "query", {"database": "shop", "sql": "SELECT count(*) FROM orders"}
    ).is_error


def _check_audit(server: LiveServer, key: str, dialect: str) -> None:
    records = [r for r in _audit(server, key) if r["tool"] == "get_orders_by_country"]
    first = records[0]
    assert first["params"] == ARGS and first["outcome"] == "ok" and first["row_count"] == 2
    assert first["database"] == "shop"
    rejected = [r for r in records if r["outcome"] == "rejected"]
    assert rejected and all(r["error_code"] == "invalid_arguments" for r in rejected)
    # The hash is the statement that ran: the same statement through `query`
    # (placeholders and all) is recorded with the same hash.
    ph = [f"${i}" for i in range(1, 12)] if dialect == "postgresql" else ["?"] * 11
    statement = (
        "SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id\n"
        f"WHERE c.country = {ph[0]} AND o.total >= {ph[1]} AND o.paid = {ph[2]}\n"
        f"  AND o.placed >= {ph[3]} AND o.created < {ph[4]} AND o.id IN"
        f" ({ph[5]}, {ph[6]}, {ph[7]}, {ph[8]})\n"
        f"  AND o.status = {ph[9]}\nORDER BY o.id LIMIT {ph[10]}"
    )
    call(server.url, key, "query", {"database": "shop", "sql": statement})
    same = [r for r in _audit(server, key) if r["tool"] == "query"][-1]
    assert same["query_hash"] == first["query_hash"]
    # A different IN-list length is a different statement, so a different hash.
    shorter = call(server.url, key, "get_orders_by_country", {**ARGS, "ids": [1]})
    assert not shorter.is_error
    last = [r for r in _audit(server, key) if r["tool"] == "get_orders_by_country"][-1]
    assert last["query_hash"] != first["query_hash"]


def _seed_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, country text,
                                    ssn text);
            COMMENT ON TABLE customers IS 'People who buy';
            COMMENT ON COLUMN customers.country IS 'ISO country code';
            CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id),
                                 total numeric(10,2), paid boolean, placed date,
                                 created timestamptz, status text);
            COMMENT ON COLUMN orders.customer_id IS 'Who placed the order';
            INSERT INTO customers VALUES (1, 'Anna', 'DE', '111'), (2, 'Bob', 'FR', '222'),
                                         (3, 'Cem', 'DE', '333');
            INSERT INTO orders VALUES
              (1, 1, 10.5, true, '2024-01-02', '2024-01-02 10:00+00', 'shipped'),
              (2, 2, 3, true, '2024-02-03', '2024-02-03 10:00+00', 'shipped'),
              (3, 3, 7, true, '2024-03-01', '2024-03-01 10:00+00', 'shipped'),
              (4, 1, 99, false, '2024-06-01', '2024-06-01 10:00+00', 'shipped');
            """
        )


@pytest.mark.postgres
def test_named_and_generated_tools_on_postgres(server: LiveServer, pg_db: str) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_db}"
    _seed_postgres(url)
    key, env = _account(server, "pg@example.com")
    assert add_db(server.url, key, "shop", url).returncode == 0
    tools_yaml = TYPED_TOOLS.format(db="shop").replace(
        "LIKE CONCAT(:prefix, '%')", "LIKE :prefix || '%'"
    )
    status, body = _api(server, key, "POST", "/tools", json={"yaml": tools_yaml})
    assert status == 201, body
    _check_typed_tools(server, key)
    _check_audit(server, key, "postgresql")

    # A write is refused when the tool is saved, with the tool's name in the message.
    status, body = _api(
        server,
        key,
        "POST",
        "/tools",
        json={"tools": [{"name": "wipe", "description": "x", "database": "shop",
                         "sql": "DELETE FROM orders WHERE id = :id",
                         "parameters": [{"name": "id", "type": "integer"}]}]},
    )  # fmt: skip
    assert status == 400
    assert body["error"]["message"].startswith("tool 'wipe': the sandbox refuses the SQL")

    # Generated tools: key columns, chosen filters, FK and comments in descriptions,
    # and a denied column never appears.
    _api(server, key, "PUT", "/databases/shop/policy",
         json={"policy": {"denied_columns": ["customers.ssn"]}})  # fmt: skip
    gen = run_cli(
        "tools", "generate", "shop", "--table", "orders", "--table", "customers",
        "--filter", "customers.country", "--json", env=env,
    )  # fmt: skip
    assert json.loads(gen.stdout)["added"] == ["find_orders", "find_customers"]
    listed = {t["name"]: t for t in _api(server, key, "GET", "/tools")[1]["tools"]}
    assert "customer_id -> customers.id" in listed["find_orders"]["description"]
    assert "People who buy." in listed["find_customers"]["description"]
    shown = _api(server, key, "GET", "/tools/find_customers")[1]
    props = shown["input_schema"]["properties"]
    assert "ISO country code." in props["country"]["description"]
    assert "ssn" not in json.dumps(shown)
    found = call(
        server.url, key, "find_customers", {"country": "DE", "order_by": "name", "descending": True}
    )
    assert found.structured_content is not None
    assert found.structured_content["columns"] == ["id", "name", "country"]
    assert found.structured_content["rows"] == [[3, "Cem", "DE"], [1, "Anna", "DE"]]
    orders = call(server.url, key, "find_orders", {"customer_id": 1, "id_min": 2})
    assert orders.structured_content is not None and [
        r[0] for r in orders.structured_content["rows"]
    ] == [4]


@pytest.mark.mariadb
def test_named_tools_on_mariadb(server: LiveServer, maria_db: str) -> None:
    conn = pymysql.connect(
        host="127.0.0.1", user="root", password="", database=maria_db, autocommit=True
    )
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE customers (id int PRIMARY KEY, name varchar(40), country varchar(2))"
        )
        cur.execute(
            "CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total decimal(10,2),"
            " paid boolean, placed date, created datetime, status varchar(10),"
            " FOREIGN KEY (customer_id) REFERENCES customers(id))"
        )
        cur.execute(
            "INSERT INTO customers VALUES (1, 'Anna', 'DE'), (2, 'Bob', 'FR'), (3, 'Cem', 'DE')"
        )
        cur.execute(
            "INSERT INTO orders VALUES (1, 1, 10.5, 1, '2024-01-02', '2024-01-02 10:00', 'shipped'),"
            " (2, 2, 3, 1, '2024-02-03', '2024-02-03 10:00', 'shipped'),"
            " (3, 3, 7, 1, '2024-03-01', '2024-03-01 10:00', 'shipped'),"
            " (4, 1, 99, 0, '2024-06-01', '2024-06-01 10:00', 'shipped')"
        )
    conn.close()
    key, _env = _account(server, "maria@example.com")
    assert (
        add_db(server.url, key, "shop", f"mysql://root@127.0.0.1:3306/{maria_db}").returncode == 0
    )
    status, body = _api(server, key, "POST", "/tools", json={"yaml": TYPED_TOOLS.format(db="shop")})
    assert status == 201, body
    _check_typed_tools(server, key)
    _check_audit(server, key, "mysql")


def _sqlite_shop(path: Path, tables: int = 0) -> str:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, country TEXT, total REAL);"
        "INSERT INTO orders VALUES (1, 'DE', 10.5), (2, 'FR', 3), (3, 'DE', 7);"
    )
    for i in range(tables):
        conn.execute(f"CREATE TABLE t_{i:04d} (id INTEGER PRIMARY KEY, label_{i:04d} TEXT)")
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


ONE_TOOL = {
    "name": "orders_in",
    "description": "Orders in a country.",
    "database": "shop",
    "sql": "SELECT id FROM orders WHERE country = :country",
    "parameters": [{"name": "country", "type": "string"}],
}


async def _connect(server: LiveServer, key: str, mode: Any, seen: list[str], name: str) -> Any:
    async def on_message(message: Any) -> None:
        if isinstance(message, ToolListChangedNotification):
            seen.append(name)

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return http, Client(
        streamable_http_client(f"{server.url}/mcp", http_client=http),
        mode=mode,
        message_handler=on_message,
    )


def test_list_changed_reaches_connected_clients_in_both_eras(
    server: LiveServer, tmp_path: Path
) -> None:
    key, _env = _account(server, "changes@example.com")
    assert (
        add_db(
            server.url, key, "shop", _sqlite_shop(server.data_dir.parent / f"{tmp_path.name}.db")
        ).returncode
        == 0
    )

    async def go() -> None:
        seen: list[str] = []
        http_a, legacy = await _connect(server, key, "legacy", seen, "legacy")
        http_b, modern = await _connect(server, key, "auto", seen, "modern")
        async with http_a, http_b, legacy, modern:
            assert "orders_in" not in [t.name for t in (await legacy.list_tools()).tools]
            async with modern.listen(tools_list_changed=True) as subscription:
                async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as rest:
                    response = await rest.post(
                        f"{server.url}/api/v1/tools", json={"tools": [ONE_TOOL]}
                    )
                    assert response.status_code == 201
                with anyio.fail_after(10):
                    async for event in subscription:
                        assert isinstance(event, ToolsListChanged)
                        break
                    while "legacy" not in seen:
                        await anyio.sleep(0.05)
            names = [t.name for t in (await modern.list_tools()).tools]
            assert "orders_in" in names
            assert "orders_in" in [t.name for t in (await legacy.list_tools()).tools]

    anyio.run(go)


def test_stdio_bridge_forwards_list_changed(server: LiveServer, tmp_path: Path) -> None:
    from mcp.client.stdio import StdioServerParameters

    from tests.integration.cli import CONEXOR

    key, _env = _account(server, "stdio@example.com")
    assert (
        add_db(
            server.url, key, "shop", _sqlite_shop(server.data_dir.parent / f"{tmp_path.name}.db")
        ).returncode
        == 0
    )
    params = StdioServerParameters(
        command=CONEXOR, args=["stdio", "--server", server.url], env={"CONEXOR_API_KEY": key}
    )

    async def go() -> None:
        changed = anyio.Event()

        async def on_message(message: Any) -> None:
            if isinstance(message, ToolListChangedNotification):
                changed.set()

        async with Client(params, mode="legacy", message_handler=on_message) as client:
            await client.list_tools()
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as rest:
                response = await rest.post(f"{server.url}/api/v1/tools", json={"tools": [ONE_TOOL]})
                assert response.status_code == 201
            with anyio.fail_after(15):
                await changed.wait()
            assert "orders_in" in [t.name for t in (await client.list_tools()).tools]

    anyio.run(go)


def test_cli_add_list_show_remove_and_toolsets(server: LiveServer, tmp_path: Path) -> None:
    key, env = _account(server, "cli@example.com")
    assert (
        add_db(
            server.url, key, "shop", _sqlite_shop(server.data_dir.parent / f"{tmp_path.name}.db")
        ).returncode
        == 0
    )
    file = tmp_path / "tools.yaml"
    file.write_text(
        "tools:\n"
        "  orders_in:\n"
        "    description: Orders in a country.\n"
        "    database: shop\n"
        "    sql: SELECT id FROM orders WHERE country = :country ORDER BY id\n"
        "    parameters: [{name: country, type: string}]\n"
        "  all_orders:\n"
        "    description: Every order.\n"
        "    database: shop\n"
        "    sql: SELECT id FROM orders\n"
        "toolsets:\n"
        "  sales: [orders_in]\n"
    )
    assert "Added 2 tool(s)" in run_cli("tools", "add", "--file", str(file), env=env).stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(file.read_text().replace(":country ORDER", ":cuntry ORDER"))
    refused = run_cli("tools", "add", "--file", str(bad), env=env, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "error: tool 'orders_in': the SQL uses :cuntry but no parameter 'cuntry' is declared"
    )
    listed = _api(server, key, "GET", "/tools")[1]
    assert {t["name"]: t["kind"] for t in listed["tools"]}["orders_in"] == "named"
    shown = _api(server, key, "GET", "/tools/orders_in")[1]
    assert shown["definition"]["sql"].startswith("SELECT id FROM orders")

    # Limit this key to the "sales" toolset (a second key of the org does it).
    other = _api(server, key, "POST", "/keys", json={"label": "admin"})[1]
    own_id = _api(server, key, "GET", "/me")[1]["key_id"]
    admin_env = {**env, "CONEXOR_API_KEY": other["api_key"]}
    run_cli("tools", "limit-key", own_id, "--toolset", "sales", env=admin_env)
    names = [t["name"] for t in _api(server, key, "GET", "/tools")[1]["tools"]]
    assert names == ["orders_in"]
    assert _error(call(server.url, key, "query", {"database": "shop", "sql": "SELECT 1"})) == (
        "unknown tool 'query'; call tools/list"
    )
    ok = call(server.url, key, "orders_in", {"country": "DE"})
    assert ok.structured_content is not None and ok.structured_content["rows"] == [[1], [3]]
    status, body = _api(server, key, "DELETE", "/tools/all_orders")
    assert (status, body["error"]["code"]) == (400, "toolset_restricted")
    status, _ = _api(server, other["api_key"], "PUT",
                     f"/keys/{own_id}/toolsets", json={"toolsets": []})  # fmt: skip
    assert status == 200
    assert _api(server, key, "DELETE", "/tools/all_orders")[1] == {"removed": ["all_orders"]}
    budget = run_cli("tools", "budget", env=env).stdout
    assert "6 tools" in budget and "tokens" in budget


TOOLBOX = """
kind: sources
name: shop-src
type: sqlite
database: /srv/shop.db
password: {secret}
---
kind: tools
name: orders-in-country
type: sqlite-sql
source: shop-src
description: Orders in one country.
parameters:
  - {{name: country, type: string, allowedValues: [DE, FR]}}
  - {{name: min_total, type: float, required: false, default: 0}}
statement: SELECT id, total FROM orders WHERE country = ? AND total >= ? ORDER BY id;
---
kind: tools
name: drop-orders
type: sqlite-sql
source: shop-src
description: Not on our watch.
statement: DROP TABLE orders
---
kind: tools
name: list-tables
type: sqlite-list-tables
source: shop-src
description: Lists tables.
---
kind: toolsets
name: sales
tools: [orders-in-country]
"""


def test_toolbox_import_round_trip(server: LiveServer, tmp_path: Path) -> None:
    key, env = _account(server, "toolbox@example.com")
    assert (
        add_db(
            server.url, key, "shop", _sqlite_shop(server.data_dir.parent / f"{tmp_path.name}.db")
        ).returncode
        == 0
    )
    secret = "ToolboxCanary-8d1f"
    file = tmp_path / "tools.yaml"
    file.write_text(TOOLBOX.format(secret=secret))
    dry = run_cli("tools", "import", "--from", "toolbox", str(file), "--map", "shop-src=shop",
                  "--dry-run", env=env)  # fmt: skip
    assert "database: shop" in dry.stdout and secret not in dry.stdout + dry.stderr
    proc = run_cli("tools", "import", "--from", "toolbox", str(file), "--map", "shop-src=shop",
                   env=env)  # fmt: skip
    assert "Imported 1 tool(s): orders-in-country" in proc.stdout
    assert "sources (hosts, users, passwords) were not imported" in proc.stderr
    assert (
        "not imported: tool 'list-tables': kind 'sqlite-list-tables' is not supported"
        in proc.stderr
    )
    assert "not imported: tool 'drop-orders': the sandbox refuses the SQL" in proc.stderr
    assert secret not in proc.stdout + proc.stderr + server.log_path.read_text()
    result = call(server.url, key, "orders-in-country", {"country": "DE", "min_total": 8})
    assert result.structured_content is not None and result.structured_content["rows"] == [
        [1, 10.5]
    ]
    listed = {t["name"]: t for t in _api(server, key, "GET", "/tools")[1]["tools"]}
    assert listed["orders-in-country"]["toolsets"] == ["sales"]


def test_500_tables_stay_usable_through_search_schema(server: LiveServer, tmp_path: Path) -> None:
    key, _env = _account(server, "big@example.com")
    assert (
        add_db(
            server.url,
            key,
            "shop",
            _sqlite_shop(server.data_dir.parent / f"{tmp_path.name}.db", 500),
        ).returncode
        == 0
    )
    generated = _api(
        server, key, "POST", "/tools/generate", json={"database": "shop", "all": True}
    )[1]
    assert len(generated["added"]) == 20 and len(generated["skipped"]) == 481
    budget = _api(server, key, "GET", "/tools/budget")[1]
    assert budget["tool_count"] == 25
    assert budget["total_tokens"] < 12_000
    found = call(server.url, key, "search_schema", {"database": "shop", "pattern": "label_0421"})
    assert found.structured_content is not None
    assert any("t_0421" in json.dumps(row) for row in found.structured_content["rows"])
    rows = call(
        server.url, key, "query", {"database": "shop", "sql": "SELECT count(*) FROM t_0421"}
    )
    assert not rows.is_error


@pytest.mark.postgres
def test_named_tool_through_an_agent(server: LiveServer, pg_db: str, tmp_path: Path) -> None:
    """Agent mode: the job carries the values beside the SQL; the agent validates and binds."""
    import uuid

    from tests.integration.test_agent import _start_agent

    url = f"postgresql://postgres@127.0.0.1:5432/{pg_db}"
    _seed_postgres(url)
    key, _env = _account(server, "agent@example.com")
    new = {"id": str(uuid.uuid4()), "name": "onprem", "dialect": "postgresql", "mode": "agent"}
    status, added = _api(server, key, "POST", "/databases", json=new)
    assert status == 201, added
    agent = _start_agent(server.url, added["agent_token"], url, tmp_path / "agent.log")
    try:
        anyio.run(_until_connected, server, key)
        tool = {
            "name": "orders_of",
            "description": "Orders of some customers.",
            "database": "onprem",
            "sql": "SELECT id FROM orders WHERE customer_id IN (:customers) AND paid = :paid"
            " ORDER BY id",
            "parameters": [
                {"name": "customers", "type": "array", "items": "integer"},
                {"name": "paid", "type": "boolean"},
            ],
        }
        status, body = _api(server, key, "POST", "/tools", json={"tools": [tool]})
        assert status == 201, body
        assert _ids(call(server.url, key, "orders_of", {"customers": [1, 3], "paid": True})) == [
            1,
            3,
        ]
        inert = call(server.url, key, "orders_of", {"customers": [1], "paid": False})
        assert _ids(inert) == [4]
        record = [r for r in _audit(server, key) if r["tool"] == "orders_of"][-1]
        assert record["mode"] == "agent" and record["params"] == {"customers": [1], "paid": False}
    finally:
        agent.kill()
        agent.wait(10)


async def _until_connected(server: LiveServer, key: str) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as http:
        with anyio.fail_after(30):
            while True:
                tokens = await http.get(f"{server.url}/api/v1/databases/onprem/agent-tokens")
                if tokens.json().get("connected"):
                    return
                await anyio.sleep(0.1)
