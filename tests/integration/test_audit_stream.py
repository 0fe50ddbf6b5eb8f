"""GET /api/v1/audit/stream: the trail as canonical JSON Lines, what ``audit verify`` reads."""

from __future__ import annotations

from pathlib import Path

import httpx2

from conexor.audit import record_from_dict, record_line, verify_lines
from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, signup
from tests.integration.test_cloud_flow import make_sqlite


def test_stream_is_the_jsonl_export_and_verifies(live_server: LiveServer, tmp_path: Path) -> None:
    key = signup(live_server.url)["api_key"]
    assert add_db(live_server.url, key, "shop", make_sqlite(tmp_path / "shop.db")).returncode == 0
    for sql in ("SELECT 1 AS n", "SELECT 'Mar\u00eda' AS who", "DELETE FROM orders"):
        call(live_server.url, key, "query", {"database": "shop", "sql": sql})
    auth = {"Authorization": f"Bearer {key}"}
    with httpx2.Client(base_url=f"{live_server.url}/api/v1", headers=auth) as http:
        stream = http.get("/audit/stream")
        export = http.get("/audit/export", params={"format": "jsonl"})
        later = http.get("/audit/stream", params={"after_seq": 2})
        paged = http.get("/audit", params={"limit": 100}).json()["records"]
        anonymous = httpx2.get(f"{live_server.url}/api/v1/audit/stream")
        negative = http.get("/audit/stream", params={"after_seq": -1})
    assert stream.status_code == 200
    assert stream.headers["content-type"] == "application/x-ndjson"
    assert stream.headers["cache-control"] == "no-store"
    # Canonical lines, byte for byte the JSON Lines export and the records the page API gives.
    assert stream.content == export.content
    assert stream.content == b"".join(record_line(record_from_dict(d)) for d in paged)
    assert verify_lines(stream.content.split(b"\n")).last_seq == len(paged) == 3
    assert later.content.split(b"\n")[:-1] == stream.content.split(b"\n")[2:-1]
    assert (anonymous.status_code, negative.status_code) == (401, 422)
