"""A backend that holds the engine itself and runs the sandboxed query in a worker thread."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import anyio.to_thread
from sqlalchemy import Engine

from conexor.sandbox import Dialect, JsonValue, Limits, Policy, QueryResult, run_query
from conexor.schema import Snapshot

__all__ = ["DirectBackend"]


class DirectBackend:
    """Runs queries on an engine this process holds."""

    def __init__(self, engine: Engine, dialect: Dialect) -> None:
        self._engine = engine
        self._dialect = dialect

    @property
    def engine(self) -> Engine:
        """The engine, for connection checks such as ``conexor db test``."""
        return self._engine

    def __repr__(self) -> str:
        return f"DirectBackend(dialect={self._dialect!r})"

    async def run(
        self,
        sql: str,
        limits: Limits,
        *,
        policy: Policy,
        snapshot: Snapshot | None,
        params: Sequence[JsonValue] | None = None,
    ) -> QueryResult:
        """Run ``sql`` through the sandbox executor (which checks it again) off the event loop."""
        return await anyio.to_thread.run_sync(
            partial(run_query, policy=policy, snapshot=snapshot, params=params),
            self._engine,
            sql,
            self._dialect,
            limits,
        )
