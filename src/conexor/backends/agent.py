"""A backend that forwards the job to a connected on-premise agent.

The server validated the query already; the agent validates it again with the
same sandbox and policy and is the one that touches the database. The server
never trusts the answer's size: it keeps at most ``limits.max_rows`` rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Protocol, cast

from conexor.agent.errors import AgentError
from conexor.agent.protocol import ErrorMsg, Job, ParamValue, Result
from conexor.sandbox import JsonValue, Limits, Policy, QueryRejected, QueryResult, QueryTimeout
from conexor.schema import Snapshot

__all__ = ["AgentBackend", "AgentJobFailed"]

#: Extra seconds the server waits beyond the query's own limit for the agent's answer.
GRACE_S = 5.0


class AgentJobFailed(AgentError):
    """The agent ran the job and reports a failure (its message is already safe)."""

    code = "agent_job_failed"
    default_public = "the agent could not run the query"


class JobSubmitter(Protocol):
    """What the backend needs from the agent hub."""

    async def submit(self, database_id: str, job: Job, timeout_s: float) -> Result | ErrorMsg:
        """Send a job to a live agent and wait for its answer."""
        ...


class AgentBackend:
    """Runs queries through an agent of one database."""

    def __init__(self, hub: JobSubmitter, database_id: str) -> None:
        self._hub = hub
        self._database_id = database_id

    async def run(
        self,
        sql: str,
        limits: Limits,
        *,
        policy: Policy,
        snapshot: Snapshot | None,
        params: Sequence[JsonValue] | None = None,
    ) -> QueryResult:
        """Send the job; map the agent's answer to a result or our own error.

        A job with bound parameters is a version-2 frame: the parameters stay
        separate from the SQL all the way to the agent's driver.
        """
        job_id = secrets.token_hex(8)
        if params is None:
            job = Job(id=job_id, sql=sql, max_rows=limits.max_rows, policy=policy.to_json())
        else:
            job = Job(
                v=2,
                id=job_id,
                sql=sql,
                max_rows=limits.max_rows,
                policy=policy.to_json(),
                params=cast(list[ParamValue], list(params)),
            )
        answer = await self._hub.submit(self._database_id, job, limits.timeout_s + GRACE_S)
        if isinstance(answer, ErrorMsg):
            if answer.code == "query_rejected":
                raise QueryRejected(answer.rule or "deny.agent", answer.message)
            if answer.code == "query_timeout":
                raise QueryTimeout(limits.timeout_s)
            raise AgentJobFailed(answer.message)
        rows = answer.rows[: limits.max_rows]
        return QueryResult(
            columns=list(answer.columns),
            rows=rows,
            row_count=len(rows),
            truncated=answer.truncated or len(answer.rows) > limits.max_rows,
        )
