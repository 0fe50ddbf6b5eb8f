"""The Redis bus between replicas: agent presence, forwarded jobs, cache invalidation.

Each replica has a random id and keeps ``cnx:replica:<id>`` alive with a short
expiry, so a replica that dies drops out within ``ALIVE_S``. Which replicas
hold agents of a database is a Redis hash, ``cnx:agents:<database id>``
(replica id -> count). A job for an agent held elsewhere is published on the
holder's job channel with a reply channel; the answer comes back as the
agent's own frame, parsed and checked like any frame from an agent. Pub/sub is
at-most-once: a message lost with a dying replica surfaces as the job's
timeout, never as a hang.

Redis sits inside the servers' trust boundary, like the store: whoever can
publish here can ask agents for jobs (which the agents still validate with the
sandbox and their local policy). Use Redis AUTH and TLS (``rediss://``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from conexor.agent.errors import AgentUnavailable
from conexor.agent.protocol import ErrorMsg, Job, Result, dump, parse_agent_message
from conexor.server.agenthub import answer_within

__all__ = ["ALIVE_S", "Invalidation", "RedisBus"]

log = logging.getLogger("conexor.cluster")

#: A replica that has not refreshed its liveness key for this long is gone.
ALIVE_S = 10.0
_REFRESH_S = 2.0
_INVALIDATE = "cnx:invalidate"
_KINDS = frozenset({"key", "agent_token", "database", "catalog", "store"})


@dataclass(frozen=True)
class Invalidation:
    """A change every replica must apply to its caches and connections at once."""

    kind: Literal["key", "agent_token", "database", "catalog", "store"]
    id: str


JobHandler = Callable[[str, Job, float], Awaitable[Result | ErrorMsg]]
InvalidationHandler = Callable[[Invalidation], Awaitable[None]]


class RedisBus:
    """One replica's connection to the bus."""

    def __init__(self, url: str) -> None:
        self.replica_id = secrets.token_hex(8)
        self._redis: aioredis.Redis = aioredis.from_url(url, decode_responses=True)
        self._waiting: dict[str, asyncio.Future[Result | ErrorMsg]] = {}
        self._jobs: JobHandler | None = None
        self._invalidations: InvalidationHandler | None = None
        self._local_counts: dict[str, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._turn = 0
        self.ready = asyncio.Event()

    # -- wiring --

    def on_job(self, handler: JobHandler) -> None:
        """Where jobs forwarded to this replica go (the local agent hub)."""
        self._jobs = handler

    def on_invalidation(self, handler: InvalidationHandler) -> None:
        """What applies an invalidation published by another replica."""
        self._invalidations = handler

    async def run(self) -> None:
        """Serve the bus until cancelled: liveness, presence, subscriptions; reconnects on loss."""
        delay = 0.5
        while True:
            try:
                await self._serve()
            except (RedisError, OSError) as exc:
                self.ready.clear()
                log.error("Redis bus unavailable (%s); retrying", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def close(self) -> None:
        """Leave the cluster: drop presence and liveness so no job is routed here any more."""
        with contextlib.suppress(RedisError, OSError):
            async with self._redis.pipeline(transaction=False) as pipe:
                for database_id in self._local_counts:
                    pipe.hdel(_agents_key(database_id), self.replica_id)
                pipe.delete(_alive_key(self.replica_id))
                await pipe.execute()
        await self._redis.aclose()

    async def ping(self) -> bool:
        """Whether Redis answers now (readiness)."""
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    # -- presence --

    def note_agents(self, database_id: str, count: int) -> None:
        """The hub's change hook: advertise the new count without blocking the caller."""
        self._spawn(self.advertise(database_id, count))

    async def advertise(self, database_id: str, count: int) -> None:
        """Record how many agents of ``database_id`` this replica holds."""
        self._local_counts[database_id] = count
        with contextlib.suppress(RedisError, OSError):
            key = _agents_key(database_id)
            if count:
                await self._redis.hset(key, self.replica_id, str(count))
            else:
                await self._redis.hdel(key, self.replica_id)

    async def holders(self, database_id: str) -> dict[str, int]:
        """Live replicas other than this one holding agents of ``database_id``, with counts."""
        counts: dict[str, str] = await cast(
            "Awaitable[dict[str, str]]", self._redis.hgetall(_agents_key(database_id))
        )
        others = [r for r, n in counts.items() if r != self.replica_id and int(n) > 0]
        if not others:
            return {}
        alive = await self._redis.mget([_alive_key(r) for r in others])
        return {r: int(counts[r]) for r, up in zip(others, alive, strict=True) if up}

    # -- forwarded jobs --

    async def forward(self, database_id: str, job: Job, timeout_s: float) -> Result | ErrorMsg:
        """Run ``job`` on a live replica holding an agent of the database."""
        try:
            holders = sorted(await self.holders(database_id))
        except (RedisError, OSError):
            raise AgentUnavailable("the cluster bus is unavailable") from None
        if not holders:
            raise AgentUnavailable()
        self._turn += 1
        target = holders[self._turn % len(holders)]
        future: asyncio.Future[Result | ErrorMsg] = asyncio.get_running_loop().create_future()
        self._waiting[job.id] = future
        message = json.dumps(
            {"reply": self.replica_id, "db": database_id, "timeout": timeout_s, "job": dump(job)}
        )
        try:
            await self._redis.publish(_jobs_channel(target), message)
            return await answer_within(future, timeout_s)
        except (RedisError, OSError):
            raise AgentUnavailable("the cluster bus is unavailable") from None
        finally:
            self._waiting.pop(job.id, None)

    # -- invalidation --

    async def publish(self, change: Invalidation) -> None:
        """Tell every other replica to apply ``change`` (the sender applied it already)."""
        payload = json.dumps({"kind": change.kind, "id": change.id, "from": self.replica_id})
        await self._redis.publish(_INVALIDATE, payload)

    # -- the loop --

    async def _serve(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        channels = (_INVALIDATE, _jobs_channel(self.replica_id), _results_channel(self.replica_id))
        await pubsub.subscribe(*channels)
        try:
            await self._refresh()
            self.ready.set()
            refresher = asyncio.create_task(self._keep_alive())
            try:
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._dispatch(message["channel"], message["data"])
                    if refresher.done():
                        refresher.result()  # re-raise a Redis failure
            finally:
                refresher.cancel()
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(_REFRESH_S)
            await self._refresh()

    async def _refresh(self) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(_alive_key(self.replica_id), "1", px=int(ALIVE_S * 1000))
            for database_id, count in self._local_counts.items():
                if count:
                    pipe.hset(_agents_key(database_id), self.replica_id, str(count))
            await pipe.execute()

    def _dispatch(self, channel: str, data: str) -> None:
        try:
            message = json.loads(data)
            if channel == _INVALIDATE:
                if message.get("from") == self.replica_id:
                    return  # applied when it was announced
                change = Invalidation(kind=message["kind"], id=str(message["id"]))
                if change.kind in _KINDS and self._invalidations:
                    self._spawn(self._invalidations(change))
            elif channel == _results_channel(self.replica_id):
                self._answer(message)
            elif channel == _jobs_channel(self.replica_id) and self._jobs is not None:
                self._spawn(self._run_job(message))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed message on the cluster bus")

    def _answer(self, message: dict[str, Any]) -> None:
        future = self._waiting.get(str(message["id"]))
        if future is None or future.done():
            return
        if "unavailable" in message:
            future.set_exception(AgentUnavailable(str(message["unavailable"])[:200]))
            return
        try:
            answer = parse_agent_message(message["answer"])
        except Exception:  # noqa: BLE001 - any bad frame is the same refusal
            future.set_exception(AgentUnavailable("a replica sent a malformed answer"))
            return
        if isinstance(answer, Result | ErrorMsg) and answer.id == message["id"]:
            future.set_result(answer)
        else:
            future.set_exception(AgentUnavailable("a replica sent a malformed answer"))

    async def _run_job(self, message: dict[str, Any]) -> None:
        assert self._jobs is not None
        try:
            job = Job.model_validate_json(message["job"])
        except ValueError:
            log.warning("ignored a malformed job on the cluster bus")
            return
        reply: dict[str, Any] = {"id": job.id}
        try:
            answer = await self._jobs(str(message["db"]), job, float(message["timeout"]))
            reply["answer"] = dump(answer)
        except AgentUnavailable as exc:
            reply["unavailable"] = exc.public
        except Exception:
            log.exception("a forwarded job failed on this replica")
            reply["unavailable"] = "the agent's replica could not run the job"
        with contextlib.suppress(RedisError, OSError):
            await self._redis.publish(_results_channel(str(message["reply"])), json.dumps(reply))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _alive_key(replica_id: str) -> str:
    return f"cnx:replica:{replica_id}"


def _agents_key(database_id: str) -> str:
    return f"cnx:agents:{database_id}"


def _jobs_channel(replica_id: str) -> str:
    return f"cnx:jobs:{replica_id}"


def _results_channel(replica_id: str) -> str:
    return f"cnx:results:{replica_id}"
