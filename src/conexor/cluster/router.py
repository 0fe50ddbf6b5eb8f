"""Send an agent job to a live agent, wherever in the cluster it is connected.

A local agent is preferred (no extra hop); otherwise, with a bus, the job goes
to a live replica holding one. The MCP tools and the agent backend see only
``submit`` and never learn which replica answered.
"""

from __future__ import annotations

from redis.exceptions import RedisError

from conexor.agent.errors import AgentUnavailable
from conexor.agent.protocol import ErrorMsg, Job, Result
from conexor.cluster.bus import RedisBus
from conexor.server.agenthub import AgentHub

__all__ = ["JobRouter"]


class JobRouter:
    """The agent backend's submitter: the local hub first, then the bus."""

    def __init__(self, hub: AgentHub, bus: RedisBus | None) -> None:
        self._hub = hub
        self._bus = bus

    async def submit(self, database_id: str, job: Job, timeout_s: float) -> Result | ErrorMsg:
        """Run ``job`` on an agent of the database; AgentUnavailable if none is live anywhere."""
        if self._hub.connected(database_id) or self._bus is None:
            return await self._hub.submit(database_id, job, timeout_s)
        return await self._bus.forward(database_id, job, timeout_s)

    async def connected(self, database_id: str) -> int:
        """Agents serving the database across the cluster."""
        local = self._hub.connected(database_id)
        if self._bus is None:
            return local
        try:
            remote = await self._bus.holders(database_id)
        except (RedisError, OSError):  # presence is advisory; the local count still holds
            return local
        return local + sum(remote.values())

    async def run_forwarded(
        self, database_id: str, job: Job, timeout_s: float
    ) -> Result | ErrorMsg:
        """A job another replica forwarded here: only local agents may take it (no ping-pong)."""
        if not self._hub.connected(database_id):
            raise AgentUnavailable()
        return await self._hub.submit(database_id, job, timeout_s)
