"""REST routes in-process: uploads are refused unless they are well-formed ciphertext for this caller."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from conexor.config import Settings
from conexor.crypto import AadContext, generate_api_key, seal
from conexor.server.app import create_app

SCHEMA = {"version": 1, "dialect": "sqlite", "default_schema": "main", "tables": []}


@pytest.fixture
def app(tmp_path: Path) -> Any:
    return create_app(Settings.build(data_dir=tmp_path, environ={}))


def request(app: Any, method: str, path: str, key: str | None = None, **kw: Any) -> httpx2.Response:
    async def go() -> httpx2.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.request(method, path, headers=headers, **kw)

    return anyio.run(go)


def account(app: Any) -> tuple[str, str]:
    data = request(app, "POST", "/api/v1/signup", json={"email": "a@example.com"}).json()
    return data["api_key"], data["org"]["id"]


def upload(app: Any, key: str, org: str, **overrides: Any) -> httpx2.Response:
    from conexor.crypto import parse_api_key

    db_id = str(uuid.uuid4())
    env = seal(b"sqlite:////nowhere.db", [parse_api_key(key)], AadContext(org, db_id, 1))
    body = {
        "id": db_id,
        "name": "db1",
        "dialect": "sqlite",
        "envelope": json.loads(env.to_json()),
        "schema": SCHEMA,
    }
    body.update(overrides)
    return request(app, "POST", "/api/v1/databases", key, json=body)


def test_healthz_and_signup_validation(app: Any) -> None:
    assert request(app, "GET", "/healthz").json() == {"status": "ok"}
    bad = request(app, "POST", "/api/v1/signup", json={"email": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "email must look like name@example.com"
    missing = request(app, "POST", "/api/v1/signup", json={})
    assert missing.status_code == 422
    assert missing.json() == {"error": {"code": "bad_request", "message": "email: Field required"}}


def test_upload_accepted_then_name_conflict(app: Any) -> None:
    key, org = account(app)
    ok = upload(app, key, org)
    assert ok.status_code == 201, ok.text
    again = upload(app, key, org)
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "a database named 'db1' already exists"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "1bad name"}, "database name must start with a letter"),
        ({"id": "not-a-uuid"}, "database id must be a UUID"),
        ({"mode": "agent"}, "agent mode takes no connection string"),
        ({"envelope": None}, "cloud mode needs the encrypted connection string"),
        ({"envelope": {"v": 9}}, "the encrypted credential is malformed"),
        ({"schema": {"tables": 3}}, "schema metadata is malformed"),
        ({"dialect": "postgresql"}, "schema metadata is for a different dialect"),
        ({"max_rows": 20_000}, "max_rows"),
    ],
)
def test_bad_uploads_are_refused(app: Any, overrides: dict[str, Any], message: str) -> None:
    key, org = account(app)
    r = upload(app, key, org, **overrides)
    assert r.status_code in (400, 422), r.text
    assert message in r.json()["error"]["message"]
    assert request(app, "GET", "/api/v1/databases", key).json() == {"databases": []}


def test_envelope_for_another_key_or_weak_kdf_is_refused(app: Any) -> None:
    key, org = account(app)
    stranger = generate_api_key()
    db_id = str(uuid.uuid4())
    env = seal(b"sqlite:////x.db", [stranger], AadContext(org, db_id, 1))
    body = {"id": db_id, "name": "x", "dialect": "sqlite", "schema": SCHEMA}
    r = request(
        app, "POST", "/api/v1/databases", key, json={**body, "envelope": json.loads(env.to_json())}
    )
    assert r.status_code == 400
    assert (
        r.json()["error"]["message"]
        == "the envelope has no wrap for the API key making this request"
    )

    from conexor.crypto import parse_api_key

    weak = json.loads(
        seal(b"sqlite:////x.db", [parse_api_key(key)], AadContext(org, db_id, 1)).to_json()
    )
    weak["wraps"][0]["iter"] = 1000  # a store writer lowering the cost of guessing
    r = request(app, "POST", "/api/v1/databases", key, json={**body, "envelope": weak})
    assert r.status_code == 400
    assert "at least 600000 PBKDF2 iterations" in r.json()["error"]["message"]
