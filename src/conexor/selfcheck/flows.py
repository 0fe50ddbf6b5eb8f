"""The flows the exposure check runs against a live server, each one a named step.

Every flow uses the code paths a user's tools use: the CLI's REST client and
its client-side sealing and re-wrapping, the official MCP client, and the
real agent loop. Each step checks that the server answered as it should (a
rejected query is an error, a revoked key is refused), so a broken flow is
reported instead of silently scanning nothing.
"""

from __future__ import annotations

import io
import json
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx2
from mcp import MCPError
from mcp.types import CallToolResult

from conexor.audit import FORMATS, export
from conexor.cli.audit import fetch_records
from conexor.cli.db import register_cloud_database
from conexor.cli.sharing import share_database
from conexor.crypto import AadContext, generate_api_key, parse_api_key, seal
from conexor.errors import ConexorError
from conexor.schema import Snapshot
from conexor.selfcheck.agent import InProcessAgent
from conexor.selfcheck.canaries import Canary
from conexor.selfcheck.errors import SelfcheckError
from conexor.selfcheck.session import ServerSession, ToolCall
from conexor.selfcheck.targets import (
    CANARY_TABLE,
    FAILING_QUERY,
    REJECTED_QUERY,
    REQUESTED_QUERY,
    REQUESTED_ROWS,
    Target,
)

__all__ = ["AGENT_DB", "CLOUD_DB", "RunState", "Step"]

CLOUD_DB = "selfcheck_cloud"
AGENT_DB = "selfcheck_agent"
AGENT_CONNECT_TIMEOUT_S = 30.0
ANYWHERE = frozenset({"HTTP response", "audit export", "store file", "server log", "pg_dump"})

Status = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class Step:
    """One flow's outcome; ``detail`` is a safe line (never a secret)."""

    name: str
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class Skipped:
    """What a flow returns when it found out it does not apply here."""

    reason: str


def _key_canaries(label: str, key: str) -> list[Canary]:
    """An API key or agent token, whole and its secret part alone (the id is public)."""
    return [Canary(label, key), Canary(f"{label} (secret part)", key.split("_", 2)[2])]


@dataclass
class RunState:
    """What the flows share: the session, the canaries so far, the steps, what to clean up."""

    session: ServerSession
    work_dir: Path
    canaries: list[Canary] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    exports: dict[str, str] = field(default_factory=dict, repr=False)
    """Audit exports formatted by the CLI's code, by name."""
    left: list[str] = field(default_factory=list)
    key: str | None = field(default=None, repr=False)
    org: dict[str, str] = field(default_factory=dict)
    databases: dict[str, str] = field(default_factory=dict)
    """Databases created and not yet removed: name -> mode."""
    agent_tokens: dict[str, str] = field(default_factory=dict)
    """Active agent tokens created here: token id -> database name."""
    stack: ExitStack = field(default_factory=ExitStack)

    # -- bookkeeping ---------------------------------------------------------

    def step(self, name: str, flow: Callable[[], str | Skipped | None]) -> bool:
        """Run one flow; record ok (with its detail), skipped, or failed (with a safe reason)."""
        try:
            detail = flow() or ""
        except ConexorError as exc:
            self.steps.append(Step(name, "failed", exc.public))
            return False
        except (httpx2.HTTPError, MCPError, OSError) as exc:
            self.steps.append(Step(name, "failed", f"{type(exc).__name__} talking to the server"))
            return False
        if isinstance(detail, Skipped):
            self.skip(name, detail.reason)
            return False
        self.steps.append(Step(name, "ok", detail))
        return True

    def skip(self, name: str, why: str) -> None:
        """Record a flow that does not apply here."""
        self.steps.append(Step(name, "skipped", why))

    def issued(self, label: str, secret: str, method: str, path: str) -> None:
        """A secret the server handed out in the latest ``method path`` response (allowed there)."""
        for canary in _key_canaries(label, secret):
            self.canaries.append(canary)
            self.session.recorder.allow(canary.label, method=method, path=path)

    @property
    def api_key(self) -> str:
        """The API key in use; flows after sign-up need it."""
        if self.key is None:
            raise SelfcheckError("no API key: sign-up failed")
        return self.key

    def tools(self, calls: Sequence[ToolCall], key: str | None = None) -> list[CallToolResult]:
        """MCP calls with the current (or given) key."""
        return self.session.tools(key or self.api_key, calls)


def _expect(results: Sequence[CallToolResult], calls: Sequence[ToolCall], errors: set[int]) -> None:
    """Raise unless exactly the calls at indexes ``errors`` came back as tool errors."""
    for index, (result, (tool, args)) in enumerate(zip(results, calls, strict=True)):
        if bool(result.is_error) != (index in errors):
            sql = " (a query)" if "sql" in args else ""
            wanted = "an error" if index in errors else "a result"
            raise SelfcheckError(f"{tool}{sql} returned the wrong outcome: expected {wanted}")


def _requested_rows(result: CallToolResult) -> int:
    content = result.structured_content or {}
    rows = content.get("rows")
    return len(rows) if isinstance(rows, list) else 0


# -- flows -------------------------------------------------------------------------------


def signup(state: RunState) -> str:
    """Create a throwaway organisation; its API key is a canary allowed only in this reply."""
    tag = secrets.token_hex(4)
    with state.session.api() as api:
        data = api.request(
            "POST",
            "/signup",
            json={"email": f"selfcheck-{tag}@selfcheck.invalid", "org": f"conexor selfcheck {tag}"},
        )
    state.key = data["api_key"]
    state.org = {"id": data["org"]["id"], "name": data["org"]["name"]}
    state.issued("API key", state.api_key, "POST", "/api/v1/signup")
    # Public, and stored by design: finding it proves the store search reads the store.
    state.canaries.append(Canary("organisation id", state.org["id"], ANYWHERE))
    return f"organisation {state.org['name']!r}"


def unknown_key(state: RunState) -> str:
    """A well-formed key the server never issued is refused, and not echoed."""
    stranger = generate_api_key().text
    state.canaries += _key_canaries("unknown API key", stranger)
    status = state.session.raw("GET", "/api/v1/me", stranger).status_code
    if status != 401:
        raise SelfcheckError(f"an unknown API key got HTTP {status}, not 401")
    return "HTTP 401"


def _query_calls(database: str, target_has_table: bool) -> tuple[list[ToolCall], set[int]]:
    """list/describe, a requested query, a rejected one and a failing one; error indexes."""
    calls: list[ToolCall] = [("list_databases", {}), ("list_tables", {"database": database})]
    if target_has_table:
        calls += [
            ("describe_table", {"database": database, "table": CANARY_TABLE}),
            ("query", {"database": database, "sql": REQUESTED_QUERY}),
            ("query", {"database": database, "sql": REJECTED_QUERY}),
            ("query", {"database": database, "sql": FAILING_QUERY}),
        ]
    else:
        calls += [
            ("query", {"database": database, "sql": "SELECT 1 AS one"}),
            ("query", {"database": database, "sql": "DELETE FROM cnx_selfcheck_missing"}),
            ("query", {"database": database, "sql": "SELECT * FROM cnx_selfcheck_missing"}),
        ]
    return calls, {len(calls) - 2, len(calls) - 1}


def _queries(state: RunState, database: str, has_table: bool) -> str:
    calls, errors = _query_calls(database, has_table)
    results = state.tools(calls)
    _expect(results, calls, errors)
    requested = results[len(calls) - 3]
    if has_table and _requested_rows(requested) != REQUESTED_ROWS:
        raise SelfcheckError(f"the query on {database} did not return the requested rows")
    return f"{len(calls)} tool calls, 2 of them refused as expected"


def cloud_database(state: RunState, target: Target) -> str:
    """Seal the URL here, upload ciphertext and metadata, test through the server path."""
    state.canaries += target.canaries
    with state.session.api(state.api_key) as api:
        register_cloud_database(api, state.api_key, CLOUD_DB, target.url)
        state.databases[CLOUD_DB] = "cloud"
        api.request("POST", f"/databases/{CLOUD_DB}/test")
    return f"{target.dialect}, sealed on this machine"


def cloud_queries(state: RunState, target: Target) -> str:
    """Tools on the cloud-mode database: listing, a query, a rejected and a failing query."""
    return _queries(state, CLOUD_DB, target.has_canary_table)


def _seal_for_upload(state: RunState, url: str, database_id: str) -> dict[str, Any]:
    envelope = seal(
        url.encode("utf-8"),
        [parse_api_key(state.api_key)],
        AadContext(org_id=state.org["id"], database_id=database_id, revision=1),
    )
    loaded: dict[str, Any] = json.loads(envelope.to_json())
    return loaded


def broken_database(
    state: RunState, name: str, url: str, dialect: str, canary: Canary
) -> str | Skipped:
    """A credential the database refuses (or cannot be reached with), sealed like any other.

    The URL is uploaded twice: once without schema metadata, so the server
    opens the envelope and fails while introspecting; once with empty
    metadata, so it is stored and then fails on ``db test`` and on a query.
    """
    state.canaries += [canary, Canary(f"{canary.label} URL", url)]
    body = {"name": name, "dialect": dialect, "mode": "cloud"}
    with state.session.api(state.api_key) as api:
        database_id = str(uuid.uuid4())
        envelope = _seal_for_upload(state, url, database_id)
        try:
            api.request(
                "POST", "/databases", json={**body, "id": database_id, "envelope": envelope}
            )
        except ConexorError:
            pass  # refused, as it must be: the server could not introspect
        else:
            api.request("DELETE", f"/databases/{name}")
            return Skipped("the database accepted a wrong password (trust authentication?)")
        database_id = str(uuid.uuid4())
        api.request(
            "POST",
            "/databases",
            json={
                **body,
                "id": database_id,
                "envelope": _seal_for_upload(state, url, database_id),
                "schema": Snapshot(dialect=dialect, tables=()).to_json(),
            },
        )
        state.databases[name] = "cloud"
        try:
            api.request("POST", f"/databases/{name}/test")
        except ConexorError:
            pass
        else:
            raise SelfcheckError(f"db test succeeded on {name}, which cannot be opened")
    calls: list[ToolCall] = [("query", {"database": name, "sql": "SELECT 1 AS one"})]
    _expect(state.tools(calls), calls, {0})
    with state.session.api(state.api_key) as api:
        api.request("DELETE", f"/databases/{name}")
    del state.databases[name]
    return "refused at upload, on test and on query; removed"


def agent_database(state: RunState, target: Target) -> str:
    """Register an agent-mode database, run the agent here, wait until its schema arrives."""
    state.canaries += target.canaries
    with state.session.api(state.api_key) as api:
        added = api.request(
            "POST",
            "/databases",
            json={
                "id": str(uuid.uuid4()),
                "name": AGENT_DB,
                "dialect": target.dialect,
                "mode": "agent",
                "schema": Snapshot(dialect=target.dialect, tables=()).to_json(),
            },
        )
        state.databases[AGENT_DB] = "agent"
        token = added["agent_token"]
        state.issued("agent token", token, "POST", "/api/v1/databases")
        state.agent_tokens[token.split("_")[1]] = AGENT_DB
        agent = state.stack.enter_context(InProcessAgent(state.session.server, token, target.url))
        deadline = time.monotonic() + AGENT_CONNECT_TIMEOUT_S
        while not _agent_ready(api):
            if agent.stopped or time.monotonic() > deadline:
                raise SelfcheckError("the in-process agent did not connect")
            time.sleep(0.1)
        api.request("POST", f"/databases/{AGENT_DB}/test")
    return "agent connected, schema received"


def _agent_ready(api: Any) -> bool:
    listed = api.request("GET", "/databases")["databases"]
    return any(d["name"] == AGENT_DB and d["tables"] > 0 for d in listed)


def agent_queries(state: RunState) -> str:
    """The same tools on the agent-mode database (validated again by the agent)."""
    return _queries(state, AGENT_DB, True)


def agent_token_rotation(state: RunState) -> str:
    """Issue a second agent token (a canary allowed in that reply), list, revoke it."""
    with state.session.api(state.api_key) as api:
        data = api.request("POST", f"/databases/{AGENT_DB}/agent-tokens")
        token = data["agent_token"]
        state.issued(
            "second agent token", token, "POST", f"/api/v1/databases/{AGENT_DB}/agent-tokens"
        )
        token_id = token.split("_")[1]
        api.request("DELETE", f"/databases/{AGENT_DB}/agent-tokens/{token_id}")
        listed = api.request("GET", f"/databases/{AGENT_DB}/agent-tokens")
    if not any(t["token_id"] == token_id and t["revoked"] for t in listed["tokens"]):
        raise SelfcheckError("the revoked agent token is not listed as revoked")
    return "issued, listed and revoked a second token"


def key_rotation(state: RunState) -> str:
    """``conexor keys rotate``: new key, re-wrap every database here, revoke the old key."""
    old = parse_api_key(state.api_key)
    with state.session.api(old.text) as api:
        created = api.request("POST", "/keys", json={"label": "selfcheck rotated"})
        new = parse_api_key(created["api_key"])
        state.issued("rotated API key", new.text, "POST", "/api/v1/keys")
        moved = 0
        for database in api.request("GET", "/databases")["databases"]:
            share_database(api, database["name"], old, new, database["mode"])
            moved += 1
    with state.session.api(new.text) as api:
        api.request("POST", f"/keys/{old.key_id}/revoke")
    state.key = new.text
    calls: list[ToolCall] = [
        ("query", {"database": name, "sql": "SELECT 1 AS one"}) for name in state.databases
    ]
    _expect(state.tools(calls), calls, set())
    if state.session.raw("GET", "/api/v1/me", old.text).status_code != 401:
        raise SelfcheckError("the revoked key still opens the REST API")
    refused = state.session.raw(
        "POST",
        "/mcp",
        old.text,
        headers={"Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
    )
    if refused.status_code != 401:
        raise SelfcheckError("the revoked key still opens the MCP endpoint")
    return f"re-wrapped {moved} database(s), old key refused on REST and MCP"


def audit_exports(state: RunState) -> str:
    """The trail through the server's export endpoint and the CLI's formatter, every format."""
    count = 0
    with state.session.api(state.api_key) as api:
        for fmt in FORMATS:
            response = state.session.raw(
                "GET", "/api/v1/audit/export", state.api_key, params={"format": fmt}
            )
            if response.status_code != 200:
                raise SelfcheckError(f"the {fmt} export failed with HTTP {response.status_code}")
            buffer = io.StringIO()
            records = list(fetch_records(api))
            export(records, fmt, buffer)
            state.exports[f"audit export ({fmt}, CLI)"] = buffer.getvalue()
            count = len(records)
        api.request("GET", "/audit/checkpoints")
    if count == 0:
        raise SelfcheckError("the audit trail is empty after the flows")
    return f"{count} records in {len(FORMATS)} formats, from the server and from the CLI"


def clean_up(state: RunState) -> str:
    """Revoke the agent tokens, stop the agent, remove the databases, revoke the last key."""
    removed = 0
    with state.session.api(state.api_key) as api:
        for token_id, database in list(state.agent_tokens.items()):
            api.request("DELETE", f"/databases/{database}/agent-tokens/{token_id}")
            del state.agent_tokens[token_id]
        state.stack.close()
        for name in list(state.databases):
            api.request("DELETE", f"/databases/{name}")
            del state.databases[name]
            removed += 1
        key_id = parse_api_key(state.api_key).key_id
        api.request("POST", f"/keys/{key_id}/revoke")
    return f"removed {removed} database(s), revoked every key and agent token"
