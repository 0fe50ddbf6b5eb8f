"""Where on-premise agents connect (outbound from the customer) and receive jobs.

An agent authenticates with its token on the WebSocket upgrade, says hello,
sends schema metadata, and then answers jobs. The server can send it only
``job`` and ``heartbeat`` frames (see ``agent/protocol.py``); it cannot make
the agent open a connection or do anything but a validated read-only query.
A job whose agent disconnects or stays silent fails within its timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio.to_thread
from fastapi import WebSocket, WebSocketDisconnect

from conexor.agent.errors import AgentUnavailable, ProtocolError
from conexor.agent.protocol import (
    ErrorMsg,
    Heartbeat,
    Hello,
    Job,
    Result,
    SchemaMsg,
    Welcome,
    dump,
    parse_agent_message,
)
from conexor.crypto import KeyVerifier
from conexor.crypto.agenttokens import InvalidAgentToken, parse_agent_token, verify_agent_token
from conexor.schema import MalformedSchema, Snapshot
from conexor.server.ratelimit import FailureLimiter
from conexor.store import AgentTokens, Databases, NotFound

__all__ = ["AgentHub", "answer_within"]

log = logging.getLogger("conexor.agents")

CLOSE_UNAUTHORIZED = 4401
CLOSE_PROTOCOL = 4400
CLOSE_REVOKED = 4403
#: "Service restart": the agent reconnects (through the load balancer, to another replica).
CLOSE_RESTART = 1012


class Channel(Protocol):
    """How frames reach one agent: a WebSocket, or a long-poll session."""

    async def send(self, text: str) -> None:
        """Deliver one frame to the agent."""
        ...

    async def close(self, code: int) -> None:
        """End the connection with a close code."""
        ...


class _WebSocketChannel:
    def __init__(self, socket: WebSocket) -> None:
        self._socket = socket
        self._lock = asyncio.Lock()

    async def send(self, text: str) -> None:
        async with self._lock:
            await self._socket.send_text(text)

    async def close(self, code: int) -> None:
        await _close(self._socket, code)


class PollChannel:
    """A long-poll session: frames wait in a bounded queue until the agent fetches them."""

    def __init__(self, max_queued: int = 1000) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(max_queued)
        self.last_seen = time.monotonic()
        self.close_code: int | None = None
        self.closed = asyncio.Event()

    async def send(self, text: str) -> None:
        if self.close_code is not None:
            raise RuntimeError("poll session closed")
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            raise RuntimeError("the agent is not fetching its jobs") from None

    async def close(self, code: int) -> None:
        self.close_code = code
        self.closed.set()

    async def fetch(self, wait_s: float) -> list[str]:
        """Frames waiting now, or the first within ``wait_s`` (then whatever else came)."""
        self.last_seen = time.monotonic()
        frames: list[str] = []
        if self.queue.empty() and self.close_code is None:
            # Wake on the first job, on close (revocation answers at once), or at the deadline.
            getter = asyncio.ensure_future(self.queue.get())
            closer = asyncio.ensure_future(self.closed.wait())
            done, pending = await asyncio.wait(
                {getter, closer}, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            if getter in done:
                frames.append(getter.result())
        while not self.queue.empty():
            frames.append(self.queue.get_nowait())
        self.last_seen = time.monotonic()
        return frames


@dataclass(eq=False)
class _Agent:
    agent_id: str
    database_id: str
    token_id: str
    channel: Channel
    dialect: str = ""
    protocol: int = 1
    pending: dict[str, asyncio.Future[Result | ErrorMsg]] = field(default_factory=dict)

    async def send(self, text: str) -> None:
        await self.channel.send(text)


class AgentHub:
    """Connected agents per database, and the jobs in flight."""

    def __init__(
        self, tokens: AgentTokens, databases: Databases, pepper: bytes, limiter: FailureLimiter
    ) -> None:
        self._tokens = tokens
        self._databases = databases
        self._pepper = pepper
        self._limiter = limiter
        self._agents: dict[str, list[_Agent]] = {}
        self._turn = itertools.count()
        self._warnings: dict[str, list[str]] = {}
        self._polls: dict[str, _Agent] = {}
        self._watchers: list[Callable[[str, int], None]] = []
        self._schema_watchers: list[Callable[[str], Awaitable[None]]] = []

    def watch_schema(self, callback: Callable[[str], Awaitable[None]]) -> None:
        """Await ``callback(database_id)`` after an agent stored new schema metadata."""
        self._schema_watchers.append(callback)

    def watch(self, callback: Callable[[str, int], None]) -> None:
        """Call ``callback(database_id, agents now)`` whenever an agent joins or leaves."""
        self._watchers.append(callback)

    def _changed(self, database_id: str) -> None:
        for callback in self._watchers:
            callback(database_id, self.connected(database_id))

    async def close_all(self) -> None:
        """Shutting down: tell every agent to reconnect (elsewhere, behind a load balancer)."""
        for agents in list(self._agents.values()):
            for agent in list(agents):
                await agent.channel.close(CLOSE_RESTART)
                self._leave(agent)

    def connected(self, database_id: str) -> int:
        """How many agents serve this database right now."""
        return len(self._agents.get(database_id, []))

    def total(self) -> int:
        """Agents connected to this process, all databases."""
        return sum(len(agents) for agents in self._agents.values())

    def warnings(self, database_id: str) -> list[str]:
        """The role check the newest agent of this database reported."""
        return list(self._warnings.get(database_id, []))

    async def disconnect_token(self, token_id: str) -> None:
        """Cut off every agent connected with a token that was just revoked."""
        doomed = [a for agents in self._agents.values() for a in agents if a.token_id == token_id]
        for agent in doomed:
            await agent.channel.close(CLOSE_REVOKED)
            if isinstance(agent.channel, PollChannel):
                self._leave(agent)

    async def disconnect_database(self, database_id: str) -> None:
        """Cut off every agent of a removed database."""
        for agent in list(self._agents.get(database_id, [])):
            await agent.channel.close(CLOSE_REVOKED)
            if isinstance(agent.channel, PollChannel):
                self._leave(agent)

    async def submit(self, database_id: str, job: Job, timeout_s: float) -> Result | ErrorMsg:
        """Send ``job`` to a live agent of the database and wait for its answer."""
        agents = self._agents.get(database_id) or []
        if not agents:
            raise AgentUnavailable()
        if job.params is not None:
            # Bound parameters need protocol 2; an older agent would drop the connection.
            agents = [a for a in agents if a.protocol >= 2]
            if not agents:
                raise AgentUnavailable(
                    "the database's agent is too old for named tools: upgrade conexor there"
                )
        agent = agents[next(self._turn) % len(agents)]
        future: asyncio.Future[Result | ErrorMsg] = asyncio.get_running_loop().create_future()
        agent.pending[job.id] = future
        try:
            await agent.send(dump(job))
            return await answer_within(future, timeout_s)
        except (WebSocketDisconnect, RuntimeError):
            raise AgentUnavailable("the agent disconnected during the query") from None
        finally:
            agent.pending.pop(job.id, None)

    async def serve(self, socket: WebSocket) -> None:
        """One agent connection, from authentication to disconnect."""
        client = socket.client.host if socket.client else "?"
        if self._limiter.blocked(client):
            await socket.close(code=CLOSE_UNAUTHORIZED)
            return
        header = socket.headers.get("authorization", "")
        token_text = header[7:] if header[:7].lower() == "bearer " else ""
        database_id = await anyio.to_thread.run_sync(self._authenticate, token_text)
        if database_id is None:
            self._limiter.fail(client)
            await socket.close(code=CLOSE_UNAUTHORIZED)
            return
        await socket.accept()
        agent = _Agent(
            secrets.token_hex(6),
            database_id,
            parse_agent_token(token_text).token_id,
            _WebSocketChannel(socket),
        )
        try:
            hello = parse_agent_message(await socket.receive_text())
            record = await anyio.to_thread.run_sync(self._databases.get_by_id, database_id)
            if not isinstance(hello, Hello) or hello.dialect != record.dialect:
                raise ProtocolError("the agent's first message must be a hello for this dialect")
            agent.protocol = hello.v
            await agent.send(dump(Welcome(database=record.name, agent_id=agent.agent_id)))
            self._agents.setdefault(database_id, []).append(agent)
            self._changed(database_id)
            log.info("agent %s connected for database %s", agent.agent_id, database_id)
            while True:
                message = parse_agent_message(await socket.receive_text())
                await self._handle(agent, message, record.dialect)
        except ProtocolError as exc:
            log.warning("agent %s closed: %s", agent.agent_id, exc.public)
            await _close(socket, CLOSE_PROTOCOL)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self._leave(agent)

    def _leave(self, agent: _Agent) -> None:
        """Forget an agent and fail its jobs in flight at once (nothing waits for a ghost)."""
        agents = self._agents.get(agent.database_id, [])
        if agent in agents:
            agents.remove(agent)
            self._changed(agent.database_id)
            log.info("agent %s disconnected", agent.agent_id)
        self._polls.pop(agent.agent_id, None)
        for future in agent.pending.values():
            if not future.done():
                future.set_exception(AgentUnavailable("the agent disconnected during the query"))

    # -- long-poll transport, for networks whose proxies block WebSockets --

    async def poll_hello(self, token_text: str, client: str, frame: str) -> tuple[str, str]:
        """Open a poll session: returns (session id, welcome frame); raises on a bad token."""
        database_id = await self._poll_auth(token_text, client)
        hello = parse_agent_message(frame)
        record = await anyio.to_thread.run_sync(self._databases.get_by_id, database_id)
        if not isinstance(hello, Hello) or hello.dialect != record.dialect:
            raise ProtocolError("the agent's first message must be a hello for this dialect")
        channel = PollChannel()
        agent = _Agent(
            secrets.token_urlsafe(18), database_id, parse_agent_token(token_text).token_id, channel
        )
        agent.dialect = record.dialect
        agent.protocol = hello.v
        self._agents.setdefault(database_id, []).append(agent)
        self._changed(database_id)
        self._polls[agent.agent_id] = agent
        log.info("agent %s connected (long poll) for database %s", agent.agent_id[:8], database_id)
        return agent.agent_id, dump(Welcome(database=record.name, agent_id=agent.agent_id))

    async def poll_send(
        self, token_text: str, client: str, session: str, frames: list[str]
    ) -> None:
        """Frames from a poll agent (schema, results, errors)."""
        agent = await self._poll_session(token_text, client, session)
        for frame in frames:
            await self._handle(agent, parse_agent_message(frame), agent.dialect)

    async def poll_receive(
        self, token_text: str, client: str, session: str, wait_s: float
    ) -> tuple[list[str], int | None]:
        """Jobs for a poll agent, waiting up to ``wait_s``; and the close code if it was cut off."""
        agent = await self._poll_session(token_text, client, session)
        channel = agent.channel
        assert isinstance(channel, PollChannel)
        frames = await channel.fetch(wait_s)
        return frames, channel.close_code

    def reap_poll_sessions(self, ttl_s: float) -> None:
        """Drop poll agents that stopped polling; their jobs fail now, not at their timeout."""
        cutoff = time.monotonic() - ttl_s
        for agent in list(self._polls.values()):
            channel = agent.channel
            if isinstance(channel, PollChannel) and channel.last_seen < cutoff:
                self._leave(agent)

    async def _poll_auth(self, token_text: str, client: str) -> str:
        if self._limiter.blocked(client):
            raise InvalidAgentToken()
        database_id = await anyio.to_thread.run_sync(self._authenticate, token_text)
        if database_id is None:
            self._limiter.fail(client)
            raise InvalidAgentToken()
        return database_id

    async def _poll_session(self, token_text: str, client: str, session: str) -> _Agent:
        database_id = await self._poll_auth(token_text, client)
        agent = self._polls.get(session)
        if agent is None or agent.database_id != database_id:
            raise AgentUnavailable("unknown or expired agent session; say hello again")
        return agent

    async def _handle(self, agent: _Agent, message: Any, dialect: str) -> None:
        if isinstance(message, Result | ErrorMsg):
            future = agent.pending.get(message.id)
            if future is not None and not future.done():
                future.set_result(message)
        elif isinstance(message, SchemaMsg):
            try:
                snapshot = Snapshot.from_json(message.snapshot)
            except MalformedSchema:
                raise ProtocolError("the agent sent malformed schema metadata") from None
            if snapshot.dialect != dialect:
                raise ProtocolError("the agent's schema is for another dialect")
            text = json.dumps(snapshot.to_json(), separators=(",", ":"))
            await anyio.to_thread.run_sync(self._databases.set_schema, agent.database_id, text)
            self._warnings[agent.database_id] = list(message.warnings)
            for watcher in self._schema_watchers:
                await watcher(agent.database_id)
        elif isinstance(message, Heartbeat):
            await agent.send(dump(Heartbeat()))
        else:
            raise ProtocolError("unexpected message from agent")

    def _authenticate(self, text: str) -> str | None:
        """The database id this token opens, or None (unknown, wrong, revoked, malformed)."""
        try:
            token = parse_agent_token(text)
        except InvalidAgentToken:
            return None
        record = self._tokens.get(token.token_id)
        verifier = (
            KeyVerifier(salt=record.salt, digest=record.digest)
            if record
            else KeyVerifier(salt=bytes(16), digest=bytes(32))
        )
        valid = verify_agent_token(token, verifier, self._pepper)
        if record is None or not valid or record.revoked_at is not None:
            return None
        try:
            database = self._databases.get_by_id(record.database_id)
        except NotFound:
            return None
        return database.id if database.mode == "agent" else None


async def answer_within(
    future: asyncio.Future[Result | ErrorMsg], timeout_s: float
) -> Result | ErrorMsg:
    """The agent's answer, or AgentUnavailable once the job's time is up (never a hang)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await future
    except TimeoutError:
        raise AgentUnavailable("the agent did not answer within the query's time limit") from None


async def _close(socket: WebSocket, code: int) -> None:
    with contextlib.suppress(RuntimeError):  # already closed by the other side
        await socket.close(code=code)
