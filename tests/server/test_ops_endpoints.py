"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import httpx2

from conexor.config import Settings
from conexor.server.app import create_app
from tests.conftest import LiveServer
from tests.integration.cli import call, signup


def test_readyz_and_metrics_on_a_live_server(live_server: LiveServer) -> None:
    assert httpx2.get(f"{live_server.url}/readyz").json() == {"status": "ready", "store": True}
    key = signup(live_server.url)["api_key"]
    assert call(live_server.url, key, "list_databases", {}).is_error is False
    bad = call(live_server.url, key, "query", {"database": "nope", "sql": "SELECT 1"})
    assert bad.is_error
    text = httpx2.get(f"{live_server.url}/metrics").text
    assert 'conexor_tool_calls_total{outcome="ok",tool="list_databases"} 1.0' in text
    assert 'conexor_tool_calls_total{outcome="rejected",tool="query"} 1.0' in text
    assert 'conexor_rejections_total{code="not_found"} 1.0' in text
    assert "conexor_audit_append_seconds_count 2.0" in text
    assert "conexor_agents_connected 0.0" in text
    # 2 records; 0 once the background checkpoint (every 30 s at most) has covered them.
    assert re.search(r"^conexor_audit_unsigned_records [02]\.0$", text, re.M)
    # Labels never carry parameters, users or keys.
    assert "SELECT" not in text and "nope" not in text and key not in text


def test_readyz_reports_an_unreachable_bus(tmp_path: Path) -> None:
    settings = Settings.build(data_dir=tmp_path, environ={}, redis_url="redis://127.0.0.1:1/0")
    app = create_app(settings)

    async def go() -> httpx2.Response:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.get("/readyz")

    response = anyio.run(go)
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "store": True, "bus": False}
