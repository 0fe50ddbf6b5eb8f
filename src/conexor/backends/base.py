"""The interface every execution backend implements."""

from __future__ import annotations

from typing import Protocol

from conexor.sandbox import Limits, Policy, QueryResult
from conexor.schema import Snapshot

__all__ = ["Backend"]


class Backend(Protocol):
    """Runs one validated read-only query within limits."""

    async def run(
        self, sql: str, limits: Limits, *, policy: Policy, snapshot: Snapshot | None
    ) -> QueryResult:
        """Check again under ``policy``, run read-only, return at most ``limits.max_rows`` rows."""
        ...
