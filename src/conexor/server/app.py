"""Wire the whole server once: store, authentication, tools, MCP, REST, health.

``create_app(settings)`` is the only place that builds the object graph; every
component receives the narrow services it needs.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conexor import __version__
from conexor.backends import Backend
from conexor.backends.agent import AgentBackend
from conexor.cluster import ClusterCatalogNotifier, Invalidation, Invalidator, JobRouter, RedisBus
from conexor.config import ConfigError, Settings
from conexor.crypto import KekCache
from conexor.errors import ConexorError
from conexor.forward import start_server_forwarding
from conexor.mcp.auth import SCOPE, ApiKeyVerifier
from conexor.mcp.endpoint import build_mcp_server
from conexor.server.agent_poll import build_agent_poll_router
from conexor.server.agenthub import AgentHub
from conexor.server.auth import Authenticated, Authenticator, client_address
from conexor.server.checkpoints import Checkpointer
from conexor.server.cloud import CloudBackends, SqliteFiles
from conexor.server.dashboard import SecurityHeaders, mount_dashboard
from conexor.server.engines import EnginePool
from conexor.server.errors import RateLimited
from conexor.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from conexor.server.metrics import MeteredAuditLog, Metrics, unsigned_records
from conexor.server.ratelimit import FailureLimiter
from conexor.server.rest import RestDeps, build_router
from conexor.server.rest_audit import build_audit_router
from conexor.server.rest_tools import ToolsDeps, build_tools_router
from conexor.server.rest_users import build_users_router
from conexor.server.status import status_of
from conexor.store import (
    Accounts,
    AgentTokens,
    DatabaseRecord,
    Databases,
    migrate,
    open_store_engine,
)
from conexor.store.leader import try_leadership
from conexor.store.readcache import ReadCache
from conexor.store.tools import Tools
from conexor.tools.builtin import BuiltinTools
from conexor.tools.registry import Registry
from conexor.tools.runner import ToolRunner

__all__ = ["FORWARD_STATE_FILE", "create_app"]

FORWARD_STATE_FILE = "audit-forward.json"
#: A long-poll agent that has not polled for this long is gone (its poll waits at most 30 s).
POLL_AGENT_TTL_S = 45.0

log = logging.getLogger("conexor.server")


def create_app(settings: Settings) -> FastAPI:
    """Build the ASGI app; migrations run here, so a returned app is ready to serve."""
    store = open_store_engine(settings.store_url)
    migrate(store)
    accounts = Accounts(store)
    databases = Databases(store)
    metrics = Metrics()
    audit = MeteredAuditLog(store, metrics)
    limiter = FailureLimiter(settings.auth_failures_per_minute)
    # Rows every call reads (key, toolsets, databases, tools), for at most a
    # second; any change drops them here and on every replica (Invalidator).
    cache = ReadCache()
    authenticator = Authenticator(accounts, settings.pepper, limiter, cache)
    pool = EnginePool(settings.engine_idle_s)
    backends = CloudBackends(
        KekCache(ttl_s=settings.kek_cache_ttl_s),
        pool,
        SqliteFiles(settings.sqlite_dirs, settings.data_dir),
    )
    if settings.audit_signer is None:
        raise ConfigError("no audit signing key configured")
    checkpointer = Checkpointer(
        audit,
        settings.audit_signer,
        every_records=settings.checkpoint_every_records,
        every_seconds=settings.checkpoint_every_seconds,
        heartbeat_seconds=settings.checkpoint_heartbeat_seconds,
    )
    agent_tokens = AgentTokens(store)
    hub = AgentHub(agent_tokens, databases, settings.pepper.reveal(), limiter)
    bus = RedisBus(settings.redis_url) if settings.redis_url else None
    jobs = JobRouter(hub, bus)
    # Tool-list changes reach the MCP clients of every replica, through the invalidator.
    notifier = ClusterCatalogNotifier()
    invalidator = Invalidator(backends, hub, bus, notifier, cache)
    notifier.connect(invalidator.announce)
    if bus is not None:
        bus.on_job(jobs.run_forwarded)
        hub.watch(bus.note_agents)
    metrics.gauge("conexor_agents_connected", "Agents connected to this replica.", hub.total)
    metrics.gauge("conexor_engines_open", "Pooled database engines (cloud mode).", pool.__len__)
    metrics.gauge(
        "conexor_audit_unsigned_records",
        "Audit lag: records not yet covered by a signed checkpoint.",
        functools.partial(unsigned_records, store),
    )

    async def resolve_backend(caller: Authenticated, record: DatabaseRecord) -> Backend:
        if record.mode == "agent":
            return AgentBackend(jobs, record.id)
        return await backends.resolve(caller, record)

    hash_key = functools.cache(accounts.query_hash_key)
    # Named and generated tools: stored per org, listed per key, changes announced.
    named_tools = Tools(store)
    registry = Registry(named_tools, databases, cache)
    tools = BuiltinTools(registry, resolve_backend, hash_key)

    async def catalog_changed(org_id: str) -> None:
        await notifier.tools_changed(org_id)

    async def schema_changed(database_id: str) -> None:
        await invalidator.announce(Invalidation("store", database_id))
        record = await anyio.to_thread.run_sync(databases.get_by_id, database_id)
        await notifier.tools_changed(record.org_id)

    hub.watch_schema(schema_changed)
    runner = ToolRunner(resolve_backend, hash_key)
    mcp_server = build_mcp_server(tools, audit, registry, runner, notifier)

    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", *settings.allowed_hosts]
    origins = [f"http://{h}" for h in hosts] + [f"https://{h}" for h in settings.allowed_hosts]
    mcp_app = mcp_server.streamable_http_app(
        streamable_http_path="/mcp",
        json_response=True,
        stateless_http=False,
        token_verifier=ApiKeyVerifier(authenticator),
        auth=AuthSettings(
            issuer_url=settings.public_url or f"http://{settings.host}:{settings.port}",  # type: ignore[arg-type]
            resource_server_url=None,
            required_scopes=[SCOPE],
        ),
        transport_security=TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=origins),
    )

    forwarding = None
    if settings.audit_forward:
        # A bad target URL or an unusable state file stops start-up (ForwardError).
        forwarding = start_server_forwarding(
            audit,
            settings.audit_forward,
            settings.data_dir / FORWARD_STATE_FILE,
            hec_token=settings.hec_token.reveal().decode() if settings.hec_token else None,
            ca_file=settings.audit_forward_ca,
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with mcp_server.session_manager.run(), anyio.create_task_group() as tasks:
            # Mounted sub-app lifespans never run, hence the session manager here.
            tasks.start_soon(_reap_idle_engines, pool, settings.engine_idle_s)
            tasks.start_soon(_reap_poll_agents, hub)
            tasks.start_soon(
                _issue_checkpoints, checkpointer, store, metrics, settings.checkpoint_every_seconds
            )
            if bus is not None:
                tasks.start_soon(bus.run)
            yield
            await hub.close_all()  # agents reconnect, behind a load balancer to another replica
            if bus is not None:
                await bus.close()
            tasks.cancel_scope.cancel()
        if forwarding is not None:
            await anyio.to_thread.run_sync(forwarding.stop)
        pool.close()
        store.dispose()

    app = FastAPI(
        title="conexor",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    router, caller = build_router(
        RestDeps(
            accounts=accounts,
            databases=databases,
            authenticator=authenticator,
            backends=backends,
            agent_tokens=agent_tokens,
            hub=hub,
            router=jobs,
            invalidator=invalidator,
            pepper=settings.pepper.reveal(),
            default_max_rows=settings.default_max_rows,
            default_timeout_s=settings.default_timeout_s,
            on_catalog_change=catalog_changed,
        )
    )
    app.include_router(router)
    app.include_router(build_audit_router(audit, checkpointer, caller))
    app.include_router(build_users_router(accounts, settings.pepper.reveal(), caller))
    app.include_router(
        build_tools_router(ToolsDeps(named_tools, databases, registry, notifier), caller)
    )
    app.include_router(build_agent_poll_router(hub))

    @app.get("/.well-known/conexor-audit-key", response_class=PlainTextResponse)
    async def audit_key() -> str:
        """The public key that signs audit checkpoints (signed-note verifier format)."""
        return checkpointer.signer.verifier().to_text() + "\n"

    @app.websocket("/agent")
    async def agent_endpoint(socket: WebSocket) -> None:
        """On-premise agents connect here, outbound from the customer's network."""
        await hub.serve(socket)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: 200 once the store is migrated and the MCP endpoint is wired."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: 200 when the store answers and, with several replicas, the bus too."""
        checks = {"store": await anyio.to_thread.run_sync(_store_answers, store)}
        if bus is not None:
            checks["bus"] = await bus.ping() and bus.ready.is_set()
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not ready", **checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        """Prometheus text format; labels carry tool names and codes, never parameters."""
        return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    @app.exception_handler(ConexorError)
    async def conexor_error(_request: Request, exc: ConexorError) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.public}}, status_code=status_of(exc)
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        message = f"{where}: {first.get('msg', 'invalid')}"
        return JSONResponse({"error": {"code": "bad_request", "message": message}}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        ref = secrets.token_hex(3)
        log.error("internal error (ref %s)", ref, exc_info=exc)
        return JSONResponse(
            {"error": {"code": "internal_error", "message": f"internal error (ref {ref})"}},
            status_code=500,
        )

    app.state.read_cache = cache  # for operators' introspection and the tests
    mount_dashboard(app)
    app.add_middleware(
        _Edge,
        mcp_app=mcp_app,
        authenticator=authenticator,
        on_write=functools.partial(invalidator.announce, Invalidation("store", "rest")),
    )
    app.add_middleware(SecurityHeaders)  # outermost: rate-limit refusals get the headers too
    app.mount("/", mcp_app)  # last: it matches every path; serves /mcp
    return app


async def _issue_checkpoints(
    checkpointer: Checkpointer, store: Engine, metrics: Metrics, every_s: float
) -> None:
    """Issue due checkpoints (new records, elapsed time, idle heartbeats) in the background.

    With several replicas on one store only the holder of the "checkpoints"
    lock issues them, so the signed sequence has one writer.
    """

    def round_() -> int:
        with try_leadership(store, "checkpoints") as leader:
            return checkpointer.issue_due() if leader else 0

    while True:
        await anyio.sleep(min(every_s, 30.0))
        try:
            metrics.checkpoints.inc(await anyio.to_thread.run_sync(round_))
        except ConexorError as exc:  # keep issuing; the next round retries
            log.error("checkpoint issuing failed: %s", exc.public)
        except SQLAlchemyError as exc:
            log.error(
                "checkpoint issuing failed: the store is unreachable (%s)", type(exc).__name__
            )


def _store_answers(store: Engine) -> bool:
    try:
        with store.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


async def _reap_poll_agents(hub: AgentHub) -> None:
    """Forget long-poll agents that stopped polling, so their jobs fail promptly."""
    while True:
        await anyio.sleep(5.0)
        hub.reap_poll_sessions(ttl_s=POLL_AGENT_TTL_S)


async def _reap_idle_engines(pool: EnginePool, idle_s: float) -> None:
    """Dispose idle engines (and the decrypted URLs inside them) even when no call arrives."""
    while True:
        await anyio.sleep(min(30.0, idle_s / 2))
        await anyio.to_thread.run_sync(pool.reap)


class _Edge:
    """Outermost ASGI layer: note the client address, refuse rate-limited clients on /mcp,
    and drop cached store reads when a REST request changed the store.

    MCP requests go straight to the MCP app: it has its own error handling, and
    matching every REST route first costs each call for nothing.
    """

    def __init__(
        self,
        app: ASGIApp,
        mcp_app: ASGIApp,
        authenticator: Authenticator,
        on_write: Callable[[], Awaitable[None]],
    ) -> None:
        self.app = app
        self._mcp_app = mcp_app
        self._authenticator = authenticator
        self._on_write = on_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            address = client[0] if client else "?"
            client_address.set(address)
            if scope["path"].startswith("/mcp"):
                try:
                    self._authenticator.check_rate(address)
                except RateLimited as exc:
                    response = JSONResponse(
                        {"error": {"code": exc.code, "message": exc.public}},
                        status_code=429,
                        headers={"Retry-After": "60"},
                    )
                    await response(scope, receive, send)
                    return
                await self._mcp_app(scope, receive, send)
                return
            if (
                scope["path"].startswith("/api/")
                and scope["method"] not in _READS
                and scope["path"] not in _CHANGE_NOTHING_CACHED
            ):
                await self.app(scope, receive, self._after_write(send))
                return
        await self.app(scope, receive, send)

    def _after_write(self, send: Send) -> Send:
        """Drop the read caches before a success response starts, so the caller's
        next request already sees its change (on every replica within a second).
        Refused requests change nothing, so they cannot be used to empty the caches."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await self._on_write()
            await send(message)

        return wrapped


_READS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: A new organisation has no rows anyone has cached.
_CHANGE_NOTHING_CACHED: Final = frozenset({"/api/v1/signup"})
