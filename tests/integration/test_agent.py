"""Agent mode end to end: a real agent process next to a real database, the server never sees the URL."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from conexor.agent.protocol import ErrorMsg, Job, parse_agent_message
from conexor.agent.runner import JobContext, _serve_job
from conexor.sandbox import Policy, create_database_engine
from conexor.schema import introspect
from tests.conftest import LiveServer
from tests.integration.cli import CONEXOR, call, run_cli, signup, text_of
from tests.services import unique


def _start_agent(server: str, token: str, url: str, log: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update({"CONEXOR_AGENT_TOKEN": token, "CONEXOR_DB_URL": url})
    handle = log.open("w")
    return subprocess.Popen(
        [CONEXOR, "agent", "--server", server],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_connected(env: dict[str, str], name: str, count: int = 1) -> None:
    deadline = time.monotonic() + 30
    while True:
        data = json.loads(run_cli("db", "tokens", name, "--json", env=env).stdout)
        if data["connected"] >= count:
            return
        assert time.monotonic() < deadline, "agent did not connect"
        time.sleep(0.2)


@pytest.fixture
def agent_setup(
    live_server: LiveServer, pg_db: str, pg_admin: Any, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """An agent-mode PostgreSQL database with a canary password and a canary row."""
    password = "Canary-" + secrets.token_hex(8)
    row_canary = "RowCanary" + secrets.token_hex(6)
    role = unique("cnx_agent")
    pg_admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    url = f"postgresql://{role}:{password}@127.0.0.1:5432/{pg_db}"
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_db}", autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO customers SELECT g, 'name' || g FROM generate_series(1, 50) g")
        conn.execute("INSERT INTO customers VALUES (999, %s)", (row_canary,))
        conn.execute(f"GRANT SELECT ON customers TO {role}")
    pg_admin.execute(f"GRANT CONNECT ON DATABASE {pg_db} TO {role}")
    key = signup(live_server.url)["api_key"]
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
    added = json.loads(
        run_cli(
            "db", "add", "onprem", "--mode", "agent", "--dialect", "postgresql", "--json", env=env
        ).stdout
    )
    agents: list[subprocess.Popen[str]] = []
    try:
        yield {
            "key": key,
            "env": env,
            "url": url,
            "password": password,
            "canary": row_canary,
            "token": added["agent_token"],
            "agents": agents,
            "tmp": tmp_path,
        }
    finally:
        for proc in agents:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        pg_admin.execute(f"REVOKE ALL ON DATABASE {pg_db} FROM {role}")
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:5432/{pg_db}", autocommit=True
        ) as conn:
            conn.execute(f"DROP OWNED BY {role}")
        pg_admin.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.mark.postgres
def test_agent_flow_and_exposure(
    live_server: LiveServer, agent_setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    s = agent_setup
    # Keep a copy of every frame the server receives from agents (the real parser still runs).
    from conexor.server import agenthub

    received: list[str] = []
    real_parse = agenthub.parse_agent_message

    def recording(frame: str | bytes) -> Any:
        received.append(frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))
        return real_parse(frame)

    monkeypatch.setattr(agenthub, "parse_agent_message", recording)
    agent = _start_agent(live_server.url, s["token"], s["url"], s["tmp"] / "agent1.log")
    s["agents"].append(agent)
    _wait_connected(s["env"], "onprem")

    listed = call(live_server.url, s["key"], "list_databases", {})
    assert listed.structured_content["rows"][0][:3] == ["onprem", "postgresql", "agent"]
    tables = call(live_server.url, s["key"], "list_tables", {"database": "onprem"})
    assert tables.structured_content["rows"][0][:3] == ["customers", "table", 2]
    q = call(
        live_server.url,
        s["key"],
        "query",
        {"database": "onprem", "sql": "SELECT id, name FROM customers WHERE id <= 3 ORDER BY id"},
    )
    assert q.structured_content["rows"] == [[1, "name1"], [2, "name2"], [3, "name3"]]
    capped = call(
        live_server.url,
        s["key"],
        "query",
        {"database": "onprem", "sql": "SELECT id FROM customers ORDER BY id", "max_rows": 5},
    )
    assert capped.structured_content["row_count"] == 5 and capped.structured_content["truncated"]
    rejected = call(
        live_server.url, s["key"], "query", {"database": "onprem", "sql": "DELETE FROM customers"}
    )
    assert rejected.is_error
    report = json.loads(run_cli("db", "test", "onprem", "--json", env=s["env"]).stdout)
    assert report["agents"] == 1

    # A second agent; killing one keeps queries working.
    second = _start_agent(live_server.url, s["token"], s["url"], s["tmp"] / "agent2.log")
    s["agents"].append(second)
    _wait_connected(s["env"], "onprem", 2)
    agent.kill()
    agent.wait(10)
    _wait_until_count(s["env"], 1)
    for _ in range(3):
        again = call(
            live_server.url, s["key"], "query", {"database": "onprem", "sql": "SELECT 1 AS one"}
        )
        assert again.structured_content["rows"] == [[1]]

    # Everything the server holds or said: no URL, no password, no unrequested row.
    needles = [s["url"], s["password"], s["canary"]]
    haystacks = [live_server.log_path.read_text(errors="replace")]
    for path in Path(live_server.data_dir).rglob("*"):
        if path.is_file():
            haystacks.append(path.read_bytes().decode("latin-1"))
    haystacks.append(run_cli("audit", "export", env=s["env"]).stdout)
    assert any("name1" in frame for frame in received)  # requested rows do arrive this way
    haystacks += received
    assert not [n for n in needles for h in haystacks if n in h]


def _wait_until_count(env: dict[str, str], count: int) -> None:
    deadline = time.monotonic() + 30
    while (
        json.loads(run_cli("db", "tokens", "onprem", "--json", env=env).stdout)["connected"]
        != count
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)


@pytest.mark.postgres
def test_agent_killed_mid_query_fails_fast(
    live_server: LiveServer, agent_setup: dict[str, Any]
) -> None:
    s = agent_setup
    agent = _start_agent(live_server.url, s["token"], s["url"], s["tmp"] / "agent.log")
    s["agents"].append(agent)
    _wait_connected(s["env"], "onprem")
    result: dict[str, Any] = {}

    def slow() -> None:
        result["r"] = call(
            live_server.url,
            s["key"],
            "query",
            {"database": "onprem", "sql": "SELECT count(*) FROM generate_series(1, 3000000000) g"},
        )

    worker = threading.Thread(target=slow)
    started = time.monotonic()
    worker.start()
    time.sleep(1.5)
    agent.send_signal(signal.SIGKILL)
    worker.join(20)
    assert not worker.is_alive()
    assert result["r"].is_error
    assert "agent disconnected" in text_of(result["r"])
    assert time.monotonic() - started < 15


@pytest.mark.postgres
def test_forged_and_revoked_tokens(live_server: LiveServer, agent_setup: dict[str, Any]) -> None:
    s = agent_setup
    forged = s["token"][:-7] + ("A" if s["token"][-7] != "A" else "B") + s["token"][-6:]
    bad = _start_agent(live_server.url, forged, s["url"], s["tmp"] / "forged.log")
    assert bad.wait(30) == 1
    assert "invalid agent token" in (s["tmp"] / "forged.log").read_text()

    agent = _start_agent(live_server.url, s["token"], s["url"], s["tmp"] / "agent.log")
    s["agents"].append(agent)
    _wait_connected(s["env"], "onprem")
    token_id = s["token"].split("_")[1]
    run_cli("db", "tokens", "onprem", "--revoke", token_id, env=s["env"])
    assert agent.wait(30) == 1
    assert "revoked" in (s["tmp"] / "agent.log").read_text()
    down = call(live_server.url, s["key"], "query", {"database": "onprem", "sql": "SELECT 1"})
    assert down.is_error and "no agent is connected" in text_of(down)


@pytest.mark.postgres
def test_agent_refuses_a_write_job_even_from_the_server(agent_setup: dict[str, Any]) -> None:
    """A compromised server sending a DELETE straight to the agent gets a refusal, not a write."""
    s = agent_setup
    engine = create_database_engine(s["url"], pool_size=1)
    sent: list[str] = []

    class Socket:
        async def send(self, frame: str) -> None:
            sent.append(frame)

    try:
        snapshot = introspect(engine)
        for sql in (
            "DELETE FROM customers",
            "SELECT 1; DELETE FROM customers",
            "SELECT pg_read_file('/etc/passwd')",
        ):
            job = Job(id="j1", sql=sql, max_rows=10, policy=Policy().to_json())
            context = JobContext(engine, "postgresql", snapshot, anyio.CapacityLimiter(1))
            anyio.run(_serve_job, Socket(), context, job)
            answer = parse_agent_message(sent[-1])
            assert isinstance(answer, ErrorMsg) and answer.code == "query_rejected", sql
        with engine.connect() as conn:
            from sqlalchemy import text

            assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == 51
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_agent_comes_back_after_a_server_restart(pg_db: str, pg_admin: Any, tmp_path: Path) -> None:
    from tests.conftest import run_live_server
    from tests.integration.test_demo import free_port

    port = free_port()
    first = run_live_server(tmp_path / "data", tmp_path / "one.log", port=port)
    live = next(first)
    key = signup(live.url)["api_key"]
    env = {"CONEXOR_SERVER": live.url, "CONEXOR_API_KEY": key}
    added = json.loads(
        run_cli(
            "db", "add", "onprem", "--mode", "agent", "--dialect", "postgresql", "--json", env=env
        ).stdout
    )
    agent = _start_agent(
        live.url,
        added["agent_token"],
        f"postgresql://postgres@127.0.0.1:5432/{pg_db}",
        tmp_path / "agent.log",
    )
    try:
        _wait_connected(env, "onprem")
        next(first, None)  # the server stops; the agent loses its connection
        second = run_live_server(tmp_path / "data", tmp_path / "two.log", port=port)
        live = next(second)
        try:
            _wait_connected(env, "onprem")
            r = call(live.url, key, "query", {"database": "onprem", "sql": "SELECT 7 AS n"})
            assert r.structured_content["rows"] == [[7]]
        finally:
            next(second, None)
    finally:
        agent.kill()
        agent.wait(10)


@pytest.mark.postgres
def test_local_policy_and_job_log(live_server: LiveServer, agent_setup: dict[str, Any]) -> None:
    """The customer's own policy file wins over the server's; the local log records every job."""
    s = agent_setup
    policy = s["tmp"] / "local-policy.json"
    policy.write_text(json.dumps({"denied_columns": ["customers.name"], "max_rows": 3}))
    log = s["tmp"] / "jobs.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update({"CONEXOR_AGENT_TOKEN": s["token"], "CONEXOR_DB_URL": s["url"]})
    agent = subprocess.Popen(
        [
            CONEXOR,
            "agent",
            "--server",
            live_server.url,
            "--policy",
            str(policy),
            "--audit-file",
            str(log),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    s["agents"].append(agent)
    _wait_connected(s["env"], "onprem")
    denied = call(
        live_server.url,
        s["key"],
        "query",
        {"database": "onprem", "sql": "SELECT name FROM customers"},
    )
    assert denied.is_error and "customers.name" in text_of(denied)
    capped = call(
        live_server.url,
        s["key"],
        "query",
        {"database": "onprem", "sql": "SELECT id FROM customers"},
    )
    assert capped.structured_content["row_count"] == 3
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    assert [(e["outcome"], e["rule"], e["row_count"]) for e in entries] == [
        ("rejected", "deny.column_denied", None),
        ("ok", None, 3),
    ]


@pytest.mark.mariadb
def test_agent_serves_mariadb(live_server: LiveServer, maria_db: str, tmp_path: Path) -> None:
    import pymysql

    from tests.services import MARIA

    with pymysql.connect(**MARIA, database=maria_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20))")
        cur.executemany(
            "INSERT INTO items VALUES (%s, %s)", [(i, f"item{i}") for i in range(1, 11)]
        )
    key = signup(live_server.url)["api_key"]
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": key}
    added = json.loads(
        run_cli(
            "db", "add", "maria", "--mode", "agent", "--dialect", "mysql", "--json", env=env
        ).stdout
    )
    agent = _start_agent(
        live_server.url,
        added["agent_token"],
        f"mysql://root@127.0.0.1:3306/{maria_db}",
        tmp_path / "a.log",
    )
    try:
        _wait_connected(env, "maria")
        r = call(
            live_server.url,
            key,
            "query",
            {"database": "maria", "sql": "SELECT label FROM items ORDER BY id", "max_rows": 2},
        )
        assert r.structured_content["rows"] == [["item1"], ["item2"]]
        assert r.structured_content["truncated"] is True
        w = call(
            live_server.url,
            key,
            "query",
            {"database": "maria", "sql": "/*!50000 DELETE FROM items */ SELECT 1"},
        )
        assert w.is_error
        report = json.loads(run_cli("db", "test", "maria", "--json", env=env).stdout)
        assert report["agents"] == 1 and report["warnings"]  # root can write: the agent says so
    finally:
        agent.kill()
        agent.wait(10)


@pytest.mark.postgres
def test_long_poll_transport_through_a_proxy(
    live_server: LiveServer, agent_setup: dict[str, Any]
) -> None:
    """--transport poll works where WebSockets do not, through an HTTP proxy (HTTP_PROXY)."""
    import socketserver
    import urllib.request
    from http.server import BaseHTTPRequestHandler

    s = agent_setup
    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            seen.append(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            request = urllib.request.Request(self.path, data=body, method=self.command)
            for name in ("Authorization", "Content-Type"):
                if self.headers.get(name):
                    request.add_header(name, self.headers[name])
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(request, timeout=60) as upstream:
                    status, data = upstream.status, upstream.read()
            except urllib.error.HTTPError as err:
                status, data = err.code, err.read()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _forward

        def log_message(self, *args: Any) -> None:
            pass

    proxy = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Proxy)
    proxy.daemon_threads = True
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CONEXOR_") and "proxy" not in k.lower()
    }
    env.update(
        {
            "CONEXOR_AGENT_TOKEN": s["token"],
            "CONEXOR_DB_URL": s["url"],
            "HTTP_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}",
            "NO_PROXY": "",
        }
    )
    agent = subprocess.Popen(
        [CONEXOR, "agent", "--server", live_server.url, "--transport", "poll"],
        env=env,
        stdout=(s["tmp"] / "poll.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    s["agents"].append(agent)
    try:
        _wait_connected(s["env"], "onprem")
        q = call(
            live_server.url,
            s["key"],
            "query",
            {"database": "onprem", "sql": "SELECT id FROM customers WHERE id < 3 ORDER BY id"},
        )
        assert q.structured_content["rows"] == [[1], [2]], q
        rejected = call(
            live_server.url,
            s["key"],
            "query",
            {"database": "onprem", "sql": "DELETE FROM customers"},
        )
        assert rejected.is_error
        assert any(
            "/agent/poll/receive" in path for path in seen
        )  # it really went through the proxy
        token_id = s["token"].split("_")[1]
        run_cli("db", "tokens", "onprem", "--revoke", token_id, env=s["env"])
        assert agent.wait(60) == 1
        assert "revoked" in (s["tmp"] / "poll.log").read_text()
    finally:
        proxy.shutdown()


@pytest.mark.postgres
def test_agent_reintrospects_and_validates_against_the_new_schema(
    live_server: LiveServer, agent_setup: dict[str, Any], pg_db: str
) -> None:
    import psycopg

    s = agent_setup
    run_cli(
        "db",
        "policy",
        "onprem",
        "--allow-table",
        "customers",
        "--allow-table",
        "fresh",
        env=s["env"],
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update({"CONEXOR_AGENT_TOKEN": s["token"], "CONEXOR_DB_URL": s["url"]})
    agent = subprocess.Popen(
        [CONEXOR, "agent", "--server", live_server.url, "--reintrospect", "5"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    s["agents"].append(agent)
    _wait_connected(s["env"], "onprem")
    role = s["url"].split("//")[1].split(":")[0]
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_db}", autocommit=True) as conn:
        conn.execute("CREATE TABLE fresh (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO fresh VALUES (1, 'new')")
        conn.execute(f"GRANT SELECT ON fresh TO {role}")
    deadline = time.monotonic() + 30
    while True:
        tables = call(live_server.url, s["key"], "list_tables", {"database": "onprem"})
        if "fresh" in [r[0] for r in tables.structured_content["rows"]]:
            break
        assert time.monotonic() < deadline, "the new table never showed up"
        time.sleep(0.5)
    r = call(
        live_server.url, s["key"], "query", {"database": "onprem", "sql": "SELECT note FROM fresh"}
    )
    assert r.structured_content["rows"] == [["new"]], r
