"""``conexor server`` as a real process (graceful stop), and ``conexor bridge`` for stdio clients."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import LiveServer
from tests.integration.cli import CONEXOR, add_db, call, signup
from tests.integration.test_cloud_flow import make_sqlite
from tests.integration.test_demo import free_port


def test_server_serves_healthz_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    proc = subprocess.Popen(
        [CONEXOR, "server", "--data-dir", str(tmp_path / "d"), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}") as http:
            while True:
                try:
                    r = http.get("/healthz")
                    break
                except httpx2.TransportError:
                    assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                    assert time.monotonic() < deadline, "server did not come up"
                    time.sleep(0.1)
            assert (r.status_code, r.json()) == (200, {"status": "ok"})
            assert http.get("/api/openapi.json").json()["info"]["title"] == "conexor"
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # uvicorn finishes in-flight work, then re-raises the signal: the conventional
    # "terminated by SIGTERM" status that service managers count as a clean stop.
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert (tmp_path / "d" / "conexor.db").exists()


def test_stdio_bridge_serves_stdio_clients(live_server: LiveServer, tmp_path: Path) -> None:
    key = signup(live_server.url)["api_key"]
    assert add_db(live_server.url, key, "shop", make_sqlite(tmp_path / "s.db")).returncode == 0
    params = StdioServerParameters(
        command=CONEXOR,
        args=["stdio", "--server", live_server.url],
        env={"CONEXOR_API_KEY": key},
    )

    async def go() -> tuple[list[str], object]:
        async with Client(params) as client:
            tools = [t.name for t in (await client.list_tools()).tools]
            result = await client.call_tool(
                "query", {"database": "shop", "sql": "SELECT 40 + 2 AS n"}
            )
            return tools, result.structured_content

    tools, content = anyio.run(go)
    assert tools == ["list_databases", "list_tables", "describe_table", "search_schema", "query"]
    assert content == {"columns": ["n"], "rows": [[42]], "row_count": 1, "truncated": False}


@pytest.mark.postgres
def test_debug_logging_stays_redacted(tmp_path: Path, pg_db: str) -> None:
    """``--debug`` logs requests and agent traffic, but never a password, key or token."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    log = tmp_path / "server.log"
    with log.open("w") as handle:
        proc = subprocess.Popen(
            [CONEXOR, "server", "--data-dir", str(tmp_path / "d"), "--port", str(port), "--debug"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.get(f"{url}/healthz")
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        key = signup(url)["api_key"]
        password = "DbgCanary" + secrets.token_hex(8)
        db_url = f"postgresql://postgres:{password}@127.0.0.1:5432/{pg_db}"
        assert add_db(url, key, "dbg", db_url).returncode == 0
        result = call(url, key, "query", {"database": "dbg", "sql": "SELECT 1 AS one"})
        assert not result.is_error
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    text = log.read_text()
    assert " DEBUG " in text
    assert password not in text
    assert key not in text and key.split("_")[2][:20] not in text
