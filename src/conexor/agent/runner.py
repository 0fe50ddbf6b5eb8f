"""The agent loop: connect out, introspect, answer jobs, reconnect with backoff.

The connection string stays in this process. What leaves it: a hello (dialect
and version), schema metadata and role warnings (never rows), and for each job
the rows it asked for — after validating the job again with the same sandbox
and policy as cloud mode. The agent never trusts the server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import ssl
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.to_thread
import httpx2
from sqlalchemy import Engine
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from conexor import __version__
from conexor.agent.errors import AgentError, ProtocolError
from conexor.agent.joblog import JobLog
from conexor.agent.protocol import (
    MAX_FRAME_BYTES,
    ErrorMsg,
    Heartbeat,
    Hello,
    Job,
    Result,
    SchemaMsg,
    Welcome,
    dump,
    parse_server_message,
)
from conexor.crypto.agenttokens import InvalidAgentToken, parse_agent_token
from conexor.errors import ConexorError
from conexor.sandbox import (
    Dialect,
    Policy,
    QueryRejected,
    create_database_engine,
    dialect_of_url,
    role_report,
    run_query,
)
from conexor.schema import Snapshot, introspect

__all__ = ["AgentConfig", "JobContext", "run_agent"]

log = logging.getLogger("conexor.agent")

CLOSE_UNAUTHORIZED = 4401
CLOSE_REVOKED = 4403


@dataclass(frozen=True)
class AgentConfig:
    """How this agent runs; the URL and token are held here only, never logged."""

    server: str
    token: str
    database_url: str
    reintrospect_s: float = 300.0
    heartbeat_s: float = 15.0
    ca_file: Path | None = None
    max_backoff_s: float = 30.0
    concurrency: int = 4
    local_policy: Policy | None = None
    job_log: Path | None = None
    transport: Literal["websocket", "poll"] = "websocket"

    def __repr__(self) -> str:
        return f"AgentConfig(server={self.server!r}, token='***', database_url='***')"


def _ws_url(server: str) -> str:
    base = server.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :] + "/agent"
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :] + "/agent"
    raise AgentError("the server URL must start with http:// or https://")


async def run_agent(config: AgentConfig) -> None:
    """Serve jobs until cancelled; raise InvalidAgentToken when the server refuses the token."""
    parse_agent_token(config.token)
    dialect = dialect_of_url(config.database_url)
    job_log = JobLog(config.job_log) if config.job_log is not None else None
    engine = create_database_engine(config.database_url, pool_size=config.concurrency)
    try:
        attempt = 0
        while True:
            try:
                if config.transport == "poll":
                    await _poll_session(config, engine, dialect, job_log)
                else:
                    await _session(config, engine, dialect, job_log)
                attempt = 0
            except InvalidAgentToken:
                raise
            except (OSError, WebSocketException, ProtocolError, httpx2.HTTPError) as exc:
                attempt += 1
                delay = min(config.max_backoff_s, 0.5 * 2 ** min(attempt, 10))
                delay *= random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not a secret
                log.warning(
                    "connection to the server lost (%s); retrying in %.1f s",
                    type(exc).__name__,
                    delay,
                )
                await anyio.sleep(delay)
    finally:
        engine.dispose()


async def _session(
    config: AgentConfig, engine: Engine, dialect: Dialect, job_log: JobLog | None
) -> None:
    ssl_context = None
    if config.server.startswith("https://"):
        ssl_context = ssl.create_default_context(
            cafile=str(config.ca_file) if config.ca_file else None
        )
    try:
        socket = await connect(
            _ws_url(config.server),
            additional_headers={"Authorization": f"Bearer {config.token}"},
            ssl=ssl_context,
            max_size=MAX_FRAME_BYTES,
            compression=None,  # deflating large row sets costs more time than it saves
            open_timeout=15,
        )
    except InvalidStatus as exc:
        if exc.response.status_code in (401, 403):
            raise InvalidAgentToken() from None
        raise
    async with socket:
        await socket.send(dump(Hello(dialect=dialect, agent_version=__version__)))
        try:
            welcome = parse_server_message(await socket.recv())
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code in (CLOSE_UNAUTHORIZED, CLOSE_REVOKED):
                raise InvalidAgentToken() from None
            raise
        if not isinstance(welcome, Welcome):
            raise ProtocolError("the server did not welcome the agent")
        log.info("connected as agent %s for database %s", welcome.agent_id, welcome.database)
        context = await _start_serving(socket, config, engine, dialect, job_log)
        closed: ConnectionClosed | None = None
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_quietly, _heartbeats(socket, config.heartbeat_s))
            tasks.start_soon(_quietly, _reintrospect(socket, context, config.reintrospect_s))
            try:
                async for frame in socket:
                    message = parse_server_message(frame)
                    if isinstance(message, Job):
                        tasks.start_soon(_quietly, _serve_job(socket, context, message))
            except ConnectionClosed as exc:
                closed = exc
            finally:
                tasks.cancel_scope.cancel()
        code = closed.rcvd.code if closed is not None and closed.rcvd is not None else None
        if code == CLOSE_REVOKED:
            raise InvalidAgentToken("the agent token was revoked")
        if closed is not None:
            raise closed


class _PollSender:
    """What a job handler needs of a connection: ``send(frame)``, here as an HTTPS POST."""

    def __init__(self, http: httpx2.AsyncClient, session: str) -> None:
        self._http = http
        self._session = session

    async def send(self, frame: str) -> None:
        response = await self._http.post(
            "/agent/poll/send", params={"session": self._session}, json={"frames": [frame]}
        )
        _check_poll(response)


def _check_poll(response: httpx2.Response) -> None:
    if response.status_code == 401:
        raise InvalidAgentToken()
    if response.status_code == 410:
        code = response.json().get("close")
        if code == CLOSE_REVOKED:
            raise InvalidAgentToken("the agent token was revoked")
        raise ProtocolError("the server closed the agent session")
    if response.status_code >= 400:
        raise ProtocolError(f"the server answered HTTP {response.status_code}")


async def _poll_session(
    config: AgentConfig, engine: Engine, dialect: Dialect, job_log: JobLog | None
) -> None:
    """The same conversation over long-poll HTTPS (honours HTTPS_PROXY), for blocked WebSockets."""
    verify: ssl.SSLContext | bool = True
    if config.ca_file is not None:
        verify = ssl.create_default_context(cafile=str(config.ca_file))
    async with httpx2.AsyncClient(
        base_url=config.server.rstrip("/"),
        headers={"Authorization": f"Bearer {config.token}"},
        timeout=httpx2.Timeout(60.0),
        verify=verify,
        trust_env=True,
    ) as http:
        hello = dump(Hello(dialect=dialect, agent_version=__version__))
        response = await http.post("/agent/poll/hello", json={"frame": hello})
        _check_poll(response)
        session = response.json()["session"]
        welcome = parse_server_message(response.json()["frames"][0])
        if not isinstance(welcome, Welcome):
            raise ProtocolError("the server did not welcome the agent")
        log.info("connected (long poll) for database %s", welcome.database)
        sender = _PollSender(http, session)
        context = await _start_serving(sender, config, engine, dialect, job_log)
        ended: Exception | None = None
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_quietly_poll, _reintrospect(sender, context, config.reintrospect_s))
            try:
                while True:
                    response = await http.get(
                        "/agent/poll/receive", params={"session": session, "wait": 25}
                    )
                    _check_poll(response)
                    for frame in response.json()["frames"]:
                        message = parse_server_message(frame)
                        if isinstance(message, Job):
                            tasks.start_soon(_quietly_poll, _serve_job(sender, context, message))
            except (InvalidAgentToken, ProtocolError, httpx2.HTTPError) as exc:
                ended = exc  # raised below, outside the task group, so it is not wrapped
            finally:
                tasks.cancel_scope.cancel()
        if ended is not None:
            raise ended


async def _quietly_poll(work: Coroutine[Any, Any, None]) -> None:
    """A side task of a poll session; its failures end only itself (the loop sees the rest)."""
    with contextlib.suppress(InvalidAgentToken, ProtocolError, httpx2.HTTPError):
        await work


async def _quietly(work: Coroutine[Any, Any, None]) -> None:
    """Run a side task; a closed connection just ends it (the receive loop decides what next)."""
    with contextlib.suppress(ConnectionClosed):
        await work


async def _start_serving(
    channel: Any, config: AgentConfig, engine: Engine, dialect: Dialect, job_log: JobLog | None
) -> JobContext:
    """Send the schema once connected and return what serving jobs needs."""
    snapshot = await _send_schema(channel, engine, dialect)
    return JobContext(
        engine,
        dialect,
        snapshot,
        anyio.CapacityLimiter(config.concurrency),
        config.local_policy,
        job_log,
    )


async def _send_schema(socket: Any, engine: Engine, dialect: Dialect) -> Snapshot:
    snapshot = await anyio.to_thread.run_sync(introspect, engine)
    report = await anyio.to_thread.run_sync(role_report, engine, dialect)
    await socket.send(dump(SchemaMsg(snapshot=snapshot.to_json(), warnings=report.findings)))
    return snapshot


async def _heartbeats(socket: ClientConnection, every_s: float) -> None:
    while True:
        await anyio.sleep(every_s)
        await socket.send(dump(Heartbeat()))


async def _reintrospect(socket: Any, context: JobContext, every_s: float) -> None:
    """Re-read the schema; when it changed, validate new jobs against it and tell the server."""
    last = json.dumps(context.snapshot.to_json(), sort_keys=True)
    while True:
        await anyio.sleep(every_s)
        snapshot = await anyio.to_thread.run_sync(introspect, context.engine)
        text = json.dumps(snapshot.to_json(), sort_keys=True)
        if text != last:
            context.snapshot = snapshot
            report = await anyio.to_thread.run_sync(role_report, context.engine, context.dialect)
            await socket.send(
                dump(SchemaMsg(snapshot=snapshot.to_json(), warnings=report.findings))
            )
            last = text


@dataclass
class JobContext:
    """What serving a job needs: the engine and, from this side only, the policy and log."""

    engine: Engine
    dialect: Dialect
    snapshot: Snapshot
    limiter: anyio.CapacityLimiter
    local_policy: Policy | None = None
    job_log: JobLog | None = None


async def _serve_job(socket: Any, ctx: JobContext, job: Job) -> None:
    """Validate and run one job here, whatever the server claims; answer with rows or an error."""
    async with ctx.limiter:
        started = time.perf_counter()
        answer: Result | ErrorMsg
        rule: str | None = None
        try:
            policy = Policy.from_json(job.policy)
            if ctx.local_policy is not None:
                policy = policy.tightened_by(ctx.local_policy)
            # A local cap lower than what the server asked for truncates rather than fails.
            wanted = job.max_rows if job.max_rows is not None else policy.max_rows
            limits = policy.limits(min(wanted, policy.max_rows))
            result = await anyio.to_thread.run_sync(
                partial(run_query, policy=policy, snapshot=ctx.snapshot, params=job.params),
                ctx.engine,
                job.sql,
                ctx.dialect,
                limits,
            )
            # Built from our own checked result: skip re-validating every row.
            answer = Result.model_construct(
                id=job.id,
                columns=result.columns,
                rows=result.rows,
                row_count=result.row_count,
                truncated=result.truncated,
            )
        except QueryRejected as exc:
            rule = exc.rule
            answer = ErrorMsg(id=job.id, code=exc.code, message=exc.public[:500], rule=exc.rule)
            log.warning("refused job %s: %s", job.id, exc.rule)
        except ConexorError as exc:
            answer = ErrorMsg(id=job.id, code=exc.code, message=exc.public[:500])
        if ctx.job_log is not None:
            outcome = "ok" if isinstance(answer, Result) else ("rejected" if rule else "error")
            await anyio.to_thread.run_sync(
                partial(
                    ctx.job_log.append,
                    job_id=job.id,
                    sql=job.sql,
                    outcome=outcome,
                    rule=rule,
                    row_count=answer.row_count if isinstance(answer, Result) else None,
                    duration_us=int((time.perf_counter() - started) * 1_000_000),
                )
            )
        await socket.send(dump(answer))
