"""The interface every execution backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from conexor.sandbox import JsonValue, Limits, Policy, QueryResult
from conexor.schema import Snapshot

__all__ = ["Backend"]


class Backend(Protocol):
    """Runs one validated read-only query within limits."""

    async def run(
        self,
        sql: str,
        limits: Limits,
        *,
        policy: Policy,
        snapshot: Snapshot | None,
        params: Sequence[JsonValue] | None = None,
    ) -> QueryResult:
        """Check again under ``policy``, run read-only, return at most ``limits.max_rows`` rows.

        ``params`` are bound by the driver to the statement's positional
        placeholders (named tools); None means the statement takes none.
        """
        ...
