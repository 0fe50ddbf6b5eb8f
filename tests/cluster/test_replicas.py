"""Two replicas on one PostgreSQL store and one Redis bus, as real processes.

An agent connected to replica B serves MCP calls arriving at replica A; a key
revoked on A is refused on B, and B drops its engines for it, within a
second; 20 concurrent clients across both replicas leave a gap-free,
fork-free, verifiable audit chain; killing B mid-call fails that call within
its timeout, and the agent comes back through the load balancer to A.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.cluster.replicas import FailoverProxy, Replica, start_replica
from tests.integration.cli import CONEXOR, call, run_cli, signup, text_of
from tests.services import redis_url, unique

pytestmark = pytest.mark.postgres


@dataclass
class Cluster:
    a: Replica
    b: Replica
    proxy: FailoverProxy
    key: str
    env_a: dict[str, str]
    sales_url: str


@pytest.fixture
def store_url(pg_admin: psycopg.Connection) -> Iterator[str]:
    name = unique("cnx_store")
    pg_admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        pg_admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def sales(pg_admin: psycopg.Connection, pg_db: str) -> str:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_db}", autocommit=True) as c:
        c.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        c.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g")
    return f"postgresql://postgres@127.0.0.1:5432/{pg_db}"


@pytest.fixture
def cluster(tmp_path: Path, store_url: str, sales: str) -> Iterator[Cluster]:
    bus = redis_url()
    a = start_replica(tmp_path / "a", store_url, bus, tmp_path / "a.log")
    b = start_replica(
        tmp_path / "b", store_url, bus, tmp_path / "b.log", secrets_from=tmp_path / "a"
    )
    # The load balancer agents connect through: B first, A when B is gone.
    proxy = FailoverProxy([b.url, a.url])
    try:
        key = signup(a.url)["api_key"]
        env_a = {"CONEXOR_SERVER": a.url, "CONEXOR_API_KEY": key}
        yield Cluster(a, b, proxy, key, env_a, sales)
    finally:
        proxy.close()
        for replica in (a, b):
            replica.stop()


def start_agent(cluster: Cluster, token: str, log: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update({"CONEXOR_AGENT_TOKEN": token, "CONEXOR_DB_URL": cluster.sales_url})
    return subprocess.Popen(
        [CONEXOR, "agent", "--server", cluster.proxy.url],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(predicate: Any, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def connected(cluster: Cluster, replica: Replica) -> int:
    env = {**cluster.env_a, "CONEXOR_SERVER": replica.url}
    return int(json.loads(run_cli("db", "tokens", "onprem", "--json", env=env).stdout)["connected"])


def query(url: str, key: str, database: str, sql: str) -> Any:
    return call(url, key, "query", {"database": database, "sql": sql})


def test_replicas_share_agents_keys_and_one_audit_chain(cluster: Cluster, tmp_path: Path) -> None:
    added = json.loads(
        run_cli(
            "db",
            "add",
            "onprem",
            "--mode",
            "agent",
            "--dialect",
            "postgresql",
            "--timeout",
            "5",
            "--json",
            env=cluster.env_a,
        ).stdout
    )
    agent = start_agent(cluster, added["agent_token"], tmp_path / "agent.log")
    try:
        wait_for(lambda: cluster.b.metric("conexor_agents_connected") >= 1, "the agent on B")
        assert cluster.a.metric("conexor_agents_connected") == 0
        # A sees B's agent through the bus, and forwards jobs to it.
        wait_for(lambda: connected(cluster, cluster.a) >= 1, "A to see the agent")
        result = query(cluster.a.url, cluster.key, "onprem", "SELECT count(*) AS n FROM items")
        assert not result.is_error, text_of(result)
        assert result.structured_content["rows"] == [[50]]

        _revocation_reaches_every_replica_within_a_second(cluster)
        _concurrent_clients_leave_one_verifiable_chain(cluster, tmp_path)
        _killing_the_agents_replica_fails_the_call_and_the_agent_moves(cluster)
    finally:
        agent.terminate()
        agent.wait(10)


def _revocation_reaches_every_replica_within_a_second(cluster: Cluster) -> None:
    env = {**cluster.env_a, "CONEXOR_DB_URL": cluster.sales_url}
    assert run_cli("db", "add", "sales", "--json", env=env).returncode == 0
    other = json.loads(run_cli("keys", "create", "--json", env=cluster.env_a).stdout)
    run_cli("db", "share", "sales", env={**cluster.env_a, "CONEXOR_SHARE_KEY": other["api_key"]})
    used = query(cluster.b.url, other["api_key"], "sales", "SELECT 1 AS one")
    assert not used.is_error, text_of(used)
    engines_before = cluster.b.metric("conexor_engines_open")
    assert engines_before >= 1

    run_cli("keys", "revoke", other["key_id"], env=cluster.env_a)
    revoked_at = time.monotonic()
    with pytest.raises(Exception, match="error"):
        query(cluster.b.url, other["api_key"], "sales", "SELECT 1 AS one")
    # B drops the engine (and the decrypted URL inside it) on the bus's word.
    wait_for(
        lambda: cluster.b.metric("conexor_engines_open") < engines_before,
        "B to drop the revoked key's engine",
        timeout_s=1.0 - (time.monotonic() - revoked_at) + 0.5,
    )
    assert time.monotonic() - revoked_at < 1.5


def _concurrent_clients_leave_one_verifiable_chain(cluster: Cluster, tmp_path: Path) -> None:
    errors: list[str] = []
    calls = [0]
    stop_at = time.monotonic() + 6

    def client(n: int) -> None:
        replica = cluster.a if n % 2 else cluster.b
        database = "onprem" if n % 4 == 0 else "sales"
        while time.monotonic() < stop_at:
            try:
                r = query(replica.url, cluster.key, database, f"SELECT {n} AS n")
                if r.is_error:
                    errors.append(text_of(r))
                calls[0] += 1
            except Exception as exc:  # counted, then asserted empty
                errors.append(repr(exc)[:200])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert calls[0] >= 20
    saved = str(tmp_path / "cp.txt")
    run_cli("audit", "checkpoint", "--save", saved, env=cluster.env_a)
    verified = run_cli(
        "audit",
        "verify",
        "--checkpoint",
        saved,
        env={**cluster.env_a, "CONEXOR_SERVER": cluster.b.url},
        check=False,
    )
    assert verified.returncode == 0, verified.stderr


def _killing_the_agents_replica_fails_the_call_and_the_agent_moves(cluster: Cluster) -> None:
    outcome: dict[str, Any] = {}

    def slow_call() -> None:
        started = time.monotonic()
        try:
            outcome["result"] = query(
                cluster.a.url,
                cluster.key,
                "onprem",
                "SELECT count(*) AS n FROM generate_series(1, 400000000) AS g",
            )
        except Exception as exc:  # the assertion below looks at it
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    caller = threading.Thread(target=slow_call)
    caller.start()
    time.sleep(1.5)
    cluster.b.kill()
    caller.join(60)
    assert not caller.is_alive()
    result = outcome.get("result")
    assert result is not None and result.is_error, outcome
    assert "agent" in text_of(result)
    assert outcome["seconds"] < 5 + 5 + 3  # the query's limit plus the server's grace
    # The agent reconnects through the load balancer, now to A, and calls resume.
    wait_for(lambda: cluster.a.metric("conexor_agents_connected") >= 1, "the agent on A", 60)
    again = query(cluster.a.url, cluster.key, "onprem", "SELECT count(*) AS n FROM items")
    assert not again.is_error, text_of(again)
    assert again.structured_content["rows"] == [[50]]


def test_tool_list_changes_reach_clients_of_every_replica(cluster: Cluster) -> None:
    import anyio
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.subscriptions import ToolsListChanged

    env = {**cluster.env_a, "CONEXOR_DB_URL": cluster.sales_url}
    assert run_cli("db", "add", "sales", "--json", env=env).returncode == 0

    async def go() -> None:
        headers = {"Authorization": f"Bearer {cluster.key}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(f"{cluster.b.url}/mcp", http_client=http)) as client,
            client.listen(tools_list_changed=True) as subscription,
        ):
            # The change is made on A; the client is connected to B.
            async with httpx2.AsyncClient(headers=headers) as rest:
                response = await rest.put(
                    f"{cluster.a.url}/api/v1/databases/sales/policy",
                    json={"policy": {"denied_columns": ["items.name"]}},
                )
                assert response.status_code == 200, response.text
            with anyio.fail_after(5):
                async for event in subscription:
                    assert isinstance(event, ToolsListChanged)
                    break

    anyio.run(go)
