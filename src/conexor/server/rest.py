"""REST API under ``/api/v1``, used by the CLI and the dashboard.

Uploads carry only ciphertext (the sealed envelope) and schema metadata the
client introspected itself. Errors share one JSON shape:
``{"error": {"code": "...", "message": "one safe line"}}``.
"""

# No "from __future__ import annotations": FastAPI must see the local Caller alias at runtime.

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from conexor.agent.errors import AgentUnavailable
from conexor.cluster import Invalidation, Invalidator, JobRouter
from conexor.crypto import (
    MIN_ITERATIONS,
    AadContext,
    CryptoError,
    DecryptionFailed,
    Envelope,
    generate_api_key,
    make_verifier,
    remove_wrap,
)
from conexor.crypto.agenttokens import generate_agent_token, make_token_verifier
from conexor.sandbox import (
    MAX_ROWS_LIMIT,
    Policy,
    RoleReport,
    SandboxError,
    probe,
    role_report,
)
from conexor.schema import MalformedSchema, Snapshot
from conexor.server.agenthub import AgentHub
from conexor.server.auth import Authenticated, Authenticator, client_address
from conexor.server.cloud import CloudBackends, introspect_sealed
from conexor.server.errors import BadRequest, Forbidden
from conexor.server.roles import authorize
from conexor.store import Accounts, AgentTokens, DatabaseRecord, Databases, NewDatabase

__all__ = ["RestDeps", "build_router"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class SignupIn(BaseModel):
    email: str = Field(max_length=320)
    org: str | None = Field(default=None, max_length=200)


class DatabaseIn(BaseModel):
    id: str = Field(max_length=36)
    name: str = Field(max_length=64)
    dialect: Literal["postgresql", "mysql", "sqlite"]
    mode: Literal["cloud", "agent"] = "cloud"
    envelope: dict[str, Any] | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    max_rows: int | None = Field(default=None, ge=1, le=MAX_ROWS_LIMIT)
    timeout_s: int | None = Field(default=None, ge=1, le=300)
    policy: dict[str, Any] | None = None


class EnvelopeIn(BaseModel):
    revision: int = Field(ge=1)
    envelope: dict[str, Any]


class AccessIn(BaseModel):
    key_id: str = Field(max_length=32)


class KeyIn(BaseModel):
    label: str = Field(default="", max_length=200)


@dataclass(frozen=True)
class RestDeps:
    """The narrow services the REST routes need."""

    accounts: Accounts
    databases: Databases
    authenticator: Authenticator
    backends: CloudBackends
    agent_tokens: AgentTokens
    hub: AgentHub
    router: JobRouter
    invalidator: Invalidator
    pepper: bytes = field(repr=False)
    default_max_rows: int
    default_timeout_s: float
    #: Awaited with the org id after a change that alters tool lists (policy, removal).
    on_catalog_change: Callable[[str], Awaitable[None]] | None = None


def build_router(deps: RestDeps) -> tuple[APIRouter, Any]:
    """The ``/api/v1`` routes bound to ``deps``, and the authentication dependency they use."""
    router = APIRouter(prefix="/api/v1")

    async def caller(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> Authenticated:
        token = None
        if authorization and authorization[:7].lower() == "bearer ":
            token = authorization[7:]
        client = request.client.host if request.client else "?"
        client_address.set(client)
        who = await anyio.to_thread.run_sync(deps.authenticator.authenticate, token, client)
        route = request.scope.get("route")
        authorize(who.principal.role, request.method, getattr(route, "path", request.url.path))
        return who

    Caller = Annotated[Authenticated, Depends(caller)]

    @router.post("/signup", status_code=201)
    async def signup(body: SignupIn) -> dict[str, Any]:
        """Create an organisation and its first user; the API key is shown only in this reply."""
        email = body.email.strip().lower()
        if not _EMAIL.match(email):
            raise BadRequest("email must look like name@example.com")
        key = generate_api_key()
        verifier = make_verifier(key, deps.pepper)
        principal = await anyio.to_thread.run_sync(
            lambda: deps.accounts.create_org_with_user(
                org_name=(body.org or email.split("@", 1)[1]).strip()[:200],
                email=email,
                key_id=key.key_id,
                salt=verifier.salt,
                digest=verifier.digest,
            )
        )
        return {
            "api_key": key.text,
            "key_id": key.key_id,
            "org": {"id": principal.org_id, "name": principal.org_name},
            "user": {"id": principal.user_id, "email": principal.email},
        }

    @router.get("/me")
    async def me(who: Caller) -> dict[str, Any]:
        """Who the presented key belongs to."""
        p = who.principal
        return {
            "org": {"id": p.org_id, "name": p.org_name},
            "user": {"id": p.user_id, "email": p.email},
            "key_id": p.key_id,
            "role": p.role,
            "limits": {"max_rows": MAX_ROWS_LIMIT, "default_max_rows": deps.default_max_rows},
        }

    @router.get("/keys")
    async def list_keys(who: Caller) -> dict[str, Any]:
        """The organisation's keys (ids and labels only; the keys themselves were never stored)."""
        keys = await anyio.to_thread.run_sync(deps.accounts.keys_of, who.principal)
        if who.principal.role != "admin":  # members and auditors see their own keys
            keys = [k for k in keys if k.user_id == who.principal.user_id]
        return {
            "keys": [
                {
                    "key_id": k.key_id,
                    "label": k.label,
                    "created_at": k.created_at.isoformat(),
                    "revoked": k.revoked_at is not None,
                }
                for k in keys
            ]
        }

    @router.post("/keys", status_code=201)
    async def create_key(who: Caller, body: KeyIn) -> dict[str, Any]:
        """Issue another key for the caller; it sees no database until one is shared with it."""
        key = generate_api_key()
        verifier = make_verifier(key, deps.pepper)
        await anyio.to_thread.run_sync(
            lambda: deps.accounts.add_key(
                who.principal,
                key_id=key.key_id,
                salt=verifier.salt,
                digest=verifier.digest,
                label=body.label,
            )
        )
        return {"api_key": key.text, "key_id": key.key_id}

    @router.post("/keys/{key_id}/revoke")
    async def revoke_key(who: Caller, key_id: str) -> dict[str, Any]:
        """Revoke a key; requests with it fail from now on and its pooled engines close."""
        await _own_key_unless_admin(who, key_id[:32], deps)
        await anyio.to_thread.run_sync(deps.accounts.revoke, who.principal, key_id[:32])
        await deps.invalidator.announce(Invalidation("key", key_id[:32]))
        unwrapped = await anyio.to_thread.run_sync(_remove_wraps, deps, key_id)
        return {"key_id": key_id, "revoked": True, "databases_unwrapped": unwrapped}

    @router.get("/databases/{name}/envelope")
    async def get_envelope(who: Caller, name: str) -> dict[str, Any]:
        """The sealed credential (ciphertext), so a key holder can share it with another key."""
        p = who.principal
        record = await anyio.to_thread.run_sync(
            deps.databases.get_for_key, p.org_id, p.key_id, name
        )
        if record.envelope is None:
            raise BadRequest(f"database {record.name!r} is in agent mode and has no credential")
        return {
            "name": record.name,
            "id": record.id,
            "org_id": record.org_id,
            "revision": record.revision,
            "envelope": json.loads(record.envelope),
        }

    @router.put("/databases/{name}/envelope")
    async def put_envelope(who: Caller, name: str, body: EnvelopeIn) -> dict[str, Any]:
        """Replace the wraps of the credential: share with or move to other keys of the org.

        The ciphertext itself must be unchanged (the same credential); changing
        the connection string is a new registration.
        """
        p = who.principal
        record = await anyio.to_thread.run_sync(
            deps.databases.get_for_key, p.org_id, p.key_id, name
        )
        if record.envelope is None:
            raise BadRequest(f"database {record.name!r} is in agent mode and has no credential")
        if body.revision != record.revision:
            raise BadRequest("the database changed meanwhile; fetch its envelope again")
        text, key_ids = await _checked_envelope(body.envelope, who, deps, require_caller=False)
        old = Envelope.from_json(record.envelope)
        new = Envelope.from_json(text)
        if (old.nonce, old.ciphertext) != (new.nonce, new.ciphertext):
            raise BadRequest("only the wraps may change; register a new credential instead")
        for gone in set(old.key_ids) - set(key_ids):
            await _own_key_unless_admin(who, gone, deps)
        await anyio.to_thread.run_sync(deps.databases.set_envelope, record.id, text, key_ids)
        for gone in set(old.key_ids) - set(key_ids):
            await deps.invalidator.announce(Invalidation("key", gone))
        return {"name": record.name, "key_ids": list(key_ids)}

    @router.get("/databases")
    async def list_databases(who: Caller) -> dict[str, Any]:
        """Databases this key may use."""
        p = who.principal
        records = await anyio.to_thread.run_sync(deps.databases.list_for_key, p.org_id, p.key_id)
        return {
            "databases": [
                {
                    "name": r.name,
                    "id": r.id,
                    "dialect": r.dialect,
                    "mode": r.mode,
                    "revision": r.revision,
                    "max_rows": _policy_of(r).max_rows,
                    "timeout_s": _policy_of(r).timeout_s,
                    "tables": len(json.loads(r.schema_json).get("tables", [])),
                    "created_at": r.created_at.isoformat(),
                }
                for r in records
            ]
        }

    @router.post("/databases", status_code=201)
    async def add_database(who: Caller, body: DatabaseIn) -> dict[str, Any]:
        """Register a database from ciphertext and client-side schema metadata."""
        p = who.principal
        if not _NAME.match(body.name):
            raise BadRequest(
                "database name must start with a letter and use only letters, digits, - and _"
            )
        try:
            uuid.UUID(body.id)
        except ValueError:
            raise BadRequest("database id must be a UUID") from None
        envelope_text: str | None = None
        key_ids: tuple[str, ...] = (p.key_id,)
        if body.mode == "cloud":
            envelope_text, key_ids = await _checked_envelope(body.envelope, who, deps)
        elif body.envelope is not None:
            raise BadRequest("agent mode takes no connection string, not even encrypted")
        findings: list[str] | None = None
        grants: list[str] | None = None
        if body.schema_ is not None:
            try:
                snapshot = Snapshot.from_json(body.schema_)
            except MalformedSchema:
                raise BadRequest("schema metadata is malformed") from None
        elif body.mode == "agent":
            snapshot = Snapshot(dialect=body.dialect, tables=())  # the agent sends it on connect
        else:
            assert envelope_text is not None
            snapshot, report = await _introspect_uploaded(envelope_text, who, body, p.org_id, deps)
            findings, grants = list(report.findings), list(report.grants)
        if snapshot.dialect != body.dialect:
            raise BadRequest("schema metadata is for a different dialect")
        policy = _initial_policy(body, deps)
        record = await anyio.to_thread.run_sync(
            lambda: deps.databases.add(
                p.org_id,
                p.user_id,
                NewDatabase(
                    id=body.id,
                    name=body.name,
                    dialect=body.dialect,
                    mode=body.mode,
                    envelope=envelope_text,
                    schema_json=json.dumps(snapshot.to_json(), separators=(",", ":")),
                    policy_json=json.dumps(policy.to_json(), separators=(",", ":")),
                    key_ids=key_ids,
                ),
            )
        )
        out: dict[str, Any] = {
            "name": record.name,
            "id": record.id,
            "org_id": record.org_id,
            "revision": record.revision,
            "dialect": record.dialect,
            "mode": record.mode,
            "tables": len(snapshot.tables),
        }
        if findings is not None:
            out["warnings"], out["grants"] = findings, grants
        if record.mode == "agent":
            out["agent_token"] = await _new_agent_token(record, deps)
        return out

    @router.post("/databases/{name}/access")
    async def grant_access(who: Caller, name: str, body: AccessIn) -> dict[str, Any]:
        """Let another active key of the org use an agent-mode database (sharing, rotation).

        A cloud-mode database is shared by adding a wrap to its envelope
        instead, which only a key holder can do.
        """
        p = who.principal
        record = await anyio.to_thread.run_sync(
            deps.databases.get_for_key, p.org_id, p.key_id, name
        )
        if record.mode != "agent":
            raise BadRequest(
                f"database {record.name!r} is in cloud mode: share it by re-wrapping its envelope"
            )
        keys = await anyio.to_thread.run_sync(deps.accounts.keys_of, p)
        if body.key_id not in {k.key_id for k in keys if k.revoked_at is None}:
            raise BadRequest("that key is not an active API key of this organisation")
        await _own_key_unless_admin(who, body.key_id, deps)
        key_ids = await anyio.to_thread.run_sync(
            deps.databases.grant_access, record.id, body.key_id
        )
        return {"name": record.name, "key_ids": list(key_ids)}

    @router.get("/databases/{name}/agent-tokens")
    async def list_agent_tokens(who: Caller, name: str) -> dict[str, Any]:
        """The database's agent tokens (ids only) and how many agents are connected."""
        record = await _agent_database(who, name, deps)
        tokens = await anyio.to_thread.run_sync(deps.agent_tokens.for_database, record.id)
        return {
            "name": record.name,
            "connected": await deps.router.connected(record.id),
            "tokens": [
                {
                    "token_id": t.token_id,
                    "created_at": t.created_at.isoformat(),
                    "revoked": t.revoked_at is not None,
                }
                for t in tokens
            ],
        }

    @router.post("/databases/{name}/agent-tokens", status_code=201)
    async def create_agent_token(who: Caller, name: str) -> dict[str, Any]:
        """Issue another agent token (shown once); revoke the old one to rotate."""
        record = await _agent_database(who, name, deps)
        return {"name": record.name, "agent_token": await _new_agent_token(record, deps)}

    @router.delete("/databases/{name}/agent-tokens/{token_id}")
    async def revoke_agent_token(who: Caller, name: str, token_id: str) -> dict[str, Any]:
        """Revoke a token; agents connected with it are cut off at once."""
        record = await _agent_database(who, name, deps)
        await anyio.to_thread.run_sync(deps.agent_tokens.revoke, record.id, token_id)
        await deps.invalidator.announce(Invalidation("agent_token", token_id))
        return {"name": record.name, "token_id": token_id, "revoked": True}

    @router.get("/databases/{name}/policy")
    async def get_policy(who: Caller, name: str) -> dict[str, Any]:
        """The database's policy: allowed schemas and tables, denied columns, functions, limits."""
        p = who.principal
        record = await anyio.to_thread.run_sync(
            deps.databases.get_for_key, p.org_id, p.key_id, name
        )
        return {"name": record.name, "policy": _policy_of(record).to_json()}

    @router.put("/databases/{name}/policy")
    async def put_policy(who: Caller, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replace the database's policy; the next query is checked against it."""
        p = who.principal
        try:
            policy = Policy.from_json(body.get("policy"))
        except SandboxError as exc:
            raise BadRequest(exc.public) from None
        text = json.dumps(policy.to_json(), separators=(",", ":"))
        record = await anyio.to_thread.run_sync(
            deps.databases.set_policy, p.org_id, p.key_id, name, text
        )
        if deps.on_catalog_change is not None:
            await deps.on_catalog_change(p.org_id)
        return {"name": record.name, "policy": policy.to_json()}

    @router.delete("/databases/{name}")
    async def remove_database(who: Caller, name: str) -> dict[str, Any]:
        """Delete the database's envelope and metadata; pooled engines close at once."""
        p = who.principal
        record = await anyio.to_thread.run_sync(deps.databases.remove, p.org_id, p.key_id, name)
        await deps.invalidator.announce(Invalidation("database", record.id))
        if deps.on_catalog_change is not None:
            await deps.on_catalog_change(p.org_id)
        return {"name": record.name, "removed": True}

    @router.post("/databases/{name}/test")
    async def test_database(who: Caller, name: str) -> dict[str, Any]:
        """Connect through the server path and report write privileges as warnings."""
        p = who.principal
        record = await anyio.to_thread.run_sync(
            deps.databases.get_for_key, p.org_id, p.key_id, name
        )
        if record.mode == "agent":
            connected = await deps.router.connected(record.id)
            if not connected:
                raise AgentUnavailable()
            return {
                "name": record.name,
                "ok": True,
                "dialect": record.dialect,
                "agents": connected,
                "warnings": deps.hub.warnings(record.id),
                "grants": [],
            }
        backend = await deps.backends.resolve(who, record)
        engine = backend.engine
        await anyio.to_thread.run_sync(probe, engine)
        report = await anyio.to_thread.run_sync(role_report, engine, record.dialect)
        return {
            "name": record.name,
            "ok": True,
            "dialect": record.dialect,
            "warnings": report.findings,
            "grants": report.grants,
        }

    return router, caller


def _policy_of(record: DatabaseRecord) -> Policy:
    return Policy.from_json(json.loads(record.policy_json))


def _initial_policy(body: DatabaseIn, deps: RestDeps) -> Policy:
    """The policy a new database starts with: the uploaded one, or the limits given, or defaults."""
    try:
        if body.policy is not None:
            if body.max_rows is not None or body.timeout_s is not None:
                raise BadRequest(
                    "give limits either in the policy or as max_rows/timeout_s, not both"
                )
            return Policy.from_json(body.policy)
        return Policy(
            max_rows=body.max_rows or deps.default_max_rows,
            timeout_s=float(body.timeout_s or deps.default_timeout_s),
        )
    except SandboxError as exc:
        raise BadRequest(exc.public) from None


async def _checked_envelope(
    uploaded: dict[str, Any] | None,
    who: Authenticated,
    deps: RestDeps,
    *,
    require_caller: bool = True,
) -> tuple[str, tuple[str, ...]]:
    """The uploaded envelope, checked: well-formed, strong KDF, wrapped for this caller's org."""
    p = who.principal
    if uploaded is None:
        raise BadRequest("cloud mode needs the encrypted connection string (envelope)")
    try:
        envelope = Envelope.from_json(json.dumps(uploaded))
    except CryptoError as exc:
        raise BadRequest(exc.public) from None
    if any(w.iterations < MIN_ITERATIONS for w in envelope.wraps):
        raise BadRequest(f"every wrap must use at least {MIN_ITERATIONS} PBKDF2 iterations")
    key_ids = envelope.key_ids
    if require_caller and p.key_id not in key_ids:
        raise BadRequest("the envelope has no wrap for the API key making this request")
    keys = await anyio.to_thread.run_sync(deps.accounts.keys_of, p)
    if not set(key_ids) <= {k.key_id for k in keys if k.revoked_at is None}:
        raise BadRequest("the envelope names API keys that are not active in this organisation")
    return envelope.to_json(), key_ids


async def _own_key_unless_admin(who: Authenticated, key_id: str, deps: RestDeps) -> None:
    """Members and auditors act only on their own keys; admins on any key of the org."""
    p = who.principal
    if p.role == "admin":
        return
    owner = await anyio.to_thread.run_sync(deps.accounts.key_owner, p, key_id)
    if owner != p.user_id:
        raise Forbidden("only an admin may act on another user's key")


async def _introspect_uploaded(
    envelope_text: str, who: Authenticated, body: DatabaseIn, org_id: str, deps: RestDeps
) -> tuple[Snapshot, RoleReport]:
    """Schema metadata for an upload without it (the dashboard's): opened with the caller's key."""
    # A new registration is revision 1 (NewDatabase); the AAD comes from our values, not the upload.
    ctx = AadContext(org_id=org_id, database_id=body.id, revision=1)
    try:
        return await anyio.to_thread.run_sync(
            introspect_sealed,
            Envelope.from_json(envelope_text),
            who.key,
            ctx,
            body.dialect,
            deps.backends.sqlite,
        )
    except DecryptionFailed:
        raise BadRequest(
            "the envelope does not open with this API key for this database; "
            "seal it with the organisation id, the new database id and revision 1"
        ) from None


async def _agent_database(who: Authenticated, name: str, deps: RestDeps) -> DatabaseRecord:
    p = who.principal
    record = await anyio.to_thread.run_sync(deps.databases.get_for_key, p.org_id, p.key_id, name)
    if record.mode != "agent":
        raise BadRequest(f"database {record.name!r} is in cloud mode and has no agent tokens")
    return record


async def _new_agent_token(record: DatabaseRecord, deps: RestDeps) -> str:
    """Create a token for the database; only its verifier is stored."""
    token = generate_agent_token()
    verifier = make_token_verifier(token, deps.pepper)
    await anyio.to_thread.run_sync(
        lambda: deps.agent_tokens.add(
            org_id=record.org_id,
            database_id=record.id,
            token_id=token.token_id,
            salt=verifier.salt,
            digest=verifier.digest,
        )
    )
    return token.text


def _remove_wraps(deps: RestDeps, key_id: str) -> int:
    """Delete a revoked key's wraps from every envelope and its access rows; return how many."""
    count = 0
    for record in deps.databases.with_access(key_id):
        if record.envelope is not None:
            envelope = Envelope.from_json(record.envelope)
            if envelope.wrap_for(key_id) is not None and len(envelope.wraps) > 1:
                rest = remove_wrap(envelope, key_id)
                deps.databases.set_envelope(record.id, rest.to_json(), rest.key_ids)
                count += 1
                continue
        deps.databases.drop_access(record.id, key_id)
        count += 1
    return count
