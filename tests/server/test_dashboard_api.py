"""REST routes the dashboard relies on: server-side introspection of a browser's
upload, the streamed audit export, and access grants for agent-mode databases."""

from __future__ import annotations

import dataclasses
import io
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from conexor.audit import FORMATS, export, record_from_dict
from conexor.config import Settings
from conexor.crypto import AadContext, parse_api_key, seal
from conexor.server.app import create_app
from conexor.store import AuditLog, open_store_engine
from tests.audit.audit_factory import make_draft
from tests.server.test_rest import account, request


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.build(data_dir=tmp_path / "data", environ={}, sqlite_dirs=(tmp_path,))


@pytest.fixture
def app(settings: Settings) -> Any:
    return create_app(settings)


def shop_file(tmp_path: Path) -> str:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("CREATE VIEW named AS SELECT name FROM items")
    return f"sqlite:///{path}"


def browser_upload(
    app: Any, key: str, org: str, url: str, *, revision: int = 1, **overrides: Any
) -> Any:
    """What the dashboard sends: an envelope and no schema metadata."""
    db_id = str(uuid.uuid4())
    env = seal(url.encode(), [parse_api_key(key)], AadContext(org, db_id, revision))
    body = {
        "id": db_id,
        "name": "shop",
        "dialect": "sqlite",
        "mode": "cloud",
        "envelope": json.loads(env.to_json()),
        **overrides,
    }
    return request(app, "POST", "/api/v1/databases", key, json=body)


def test_upload_without_schema_is_introspected_with_the_callers_key(
    app: Any, tmp_path: Path
) -> None:
    key, org = account(app)
    r = browser_upload(app, key, org, shop_file(tmp_path))
    assert r.status_code == 201, r.text
    assert r.json()["tables"] == 2
    assert any("writable" in w for w in r.json()["warnings"])  # the role report ran
    tables = request(app, "GET", "/api/v1/databases", key).json()["databases"]
    assert [(d["name"], d["tables"]) for d in tables] == [("shop", 2)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"revision": 2}, "the envelope does not open with this API key for this database"),
        ({"dialect": "postgresql"}, "the connection string is a sqlite URL, not postgresql"),
    ],
)
def test_upload_without_schema_refuses_mismatches(
    app: Any, tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    key, org = account(app)
    r = browser_upload(app, key, org, shop_file(tmp_path), **kwargs)
    assert r.status_code == 400
    assert message in r.json()["error"]["message"]
    assert request(app, "GET", "/api/v1/databases", key).json() == {"databases": []}


def test_upload_without_schema_reports_an_unreachable_database_safely(app: Any) -> None:
    key, org = account(app)
    url = "postgresql://reader:s3cret-Pa55@127.0.0.1:1/sales"
    r = browser_upload(app, key, org, url, dialect="postgresql")
    assert r.status_code >= 400
    assert "s3cret-Pa55" not in r.text and "reader" not in r.text


def test_agent_upload_without_schema_gets_a_token(app: Any) -> None:
    key, _ = account(app)
    body = {"id": str(uuid.uuid4()), "name": "onprem", "dialect": "mysql", "mode": "agent"}
    r = request(app, "POST", "/api/v1/databases", key, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["agent_token"].startswith("cnxa_")


def test_access_grants_only_for_agent_mode_and_active_keys(app: Any, tmp_path: Path) -> None:
    key, org = account(app)
    other = request(app, "POST", "/api/v1/keys", key, json={"label": "b"}).json()
    body = {"id": str(uuid.uuid4()), "name": "onprem", "dialect": "mysql", "mode": "agent"}
    assert request(app, "POST", "/api/v1/databases", key, json=body).status_code == 201
    granted = request(
        app, "POST", "/api/v1/databases/onprem/access", key, json={"key_id": other["key_id"]}
    )
    assert granted.status_code == 200, granted.text
    assert other["key_id"] in granted.json()["key_ids"] and len(granted.json()["key_ids"]) == 2
    listed = request(app, "GET", "/api/v1/databases", other["api_key"]).json()["databases"]
    assert [d["name"] for d in listed] == ["onprem"]

    unknown = request(
        app, "POST", "/api/v1/databases/onprem/access", key, json={"key_id": "AAAAAAAAAAAA"}
    )
    assert unknown.status_code == 400
    assert "not an active API key" in unknown.json()["error"]["message"]

    assert browser_upload(app, key, org, shop_file(tmp_path)).status_code == 201
    cloud = request(
        app, "POST", "/api/v1/databases/shop/access", key, json={"key_id": other["key_id"]}
    )
    assert cloud.status_code == 400
    assert "re-wrapping its envelope" in cloud.json()["error"]["message"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_matches_the_library_export(app: Any, settings: Settings, fmt: str) -> None:
    key, _ = account(app)
    records = _seed_audit(app, settings, key)
    r = request(app, "GET", f"/api/v1/audit/export?format={fmt}", key)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    expected = io.StringIO(newline="")
    export([record_from_dict(d) for d in records], fmt, expected)
    assert r.text == expected.getvalue()


def test_export_of_an_empty_trail_and_filters(app: Any, settings: Settings) -> None:
    key, _ = account(app)
    empty = request(app, "GET", "/api/v1/audit/export?format=csv", key)
    assert empty.text.splitlines()[0].startswith("seq,ts,org_id")
    assert len(empty.text.splitlines()) == 1
    _seed_audit(app, settings, key)
    none = request(app, "GET", "/api/v1/audit/export?format=jsonl&database=nope", key)
    assert none.status_code == 200 and none.text == ""
    bad = request(app, "GET", "/api/v1/audit/export?format=xml", key)
    assert bad.status_code == 400
    assert bad.json()["error"]["message"].startswith("unknown format; choose one of: jsonl")
    unauthenticated = request(app, "GET", "/api/v1/audit/export?format=csv")
    assert unauthenticated.status_code == 401


def _seed_audit(app: Any, settings: Settings, key: str) -> list[dict[str, Any]]:
    """Append varied real records (CSV-injection text included) to the app's own store."""
    org = request(app, "GET", "/api/v1/me", key).json()["org"]["id"]
    store = open_store_engine(settings.store_url)
    try:
        audit = AuditLog(store)
        for i in range(7):
            audit.append(dataclasses.replace(make_draft(i), org_id=org))
    finally:
        store.dispose()
    return request(app, "GET", "/api/v1/audit", key).json()["records"]
