"""The interface every execution backend implements."""

from __future__ import annotations

from typing import Protocol

from conexor.sandbox import Limits, QueryResult

__all__ = ["Backend"]


class Backend(Protocol):
    """Runs one validated read-only query within limits."""

    async def run(self, sql: str, limits: Limits) -> QueryResult:
        """Validate again, execute read-only, return at most ``limits.max_rows`` rows."""
        ...
