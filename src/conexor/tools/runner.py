"""Run a named or generated tool: check the values, bind them, let the sandbox decide, execute.

The order matters for the audit record and for safety:

1. the arguments are checked against the tool's typed parameters (a wrong
   type, a value out of range or not allowed, a missing argument: one line);
2. the ``:name`` markers become positional placeholders and the values a
   separate list (:func:`conexor.tools.binding.bind`) — nothing a caller
   sends ever becomes SQL text;
3. the sandbox checks the statement that will run, under the database's
   policy and schema, and its hash goes into the audit record;
4. the backend (direct or agent) runs it, validating it again, with the
   values bound by the driver.

The same path serves cloud and agent mode: only the backend differs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from conexor.audit.queryhash import query_hash
from conexor.backends import Backend
from conexor.sandbox import QueryRejected, check
from conexor.schema import Snapshot
from conexor.server.auth import Authenticated
from conexor.store import DatabaseRecord
from conexor.tools.binding import bind
from conexor.tools.builtin import CallFacts, ToolOutput
from conexor.tools.params import check_arguments
from conexor.tools.registry import CatalogTool, policy_of

__all__ = ["ToolRunner"]

ResolveBackend = Callable[[Authenticated, DatabaseRecord], Awaitable[Backend]]


class ToolRunner:
    """Runs named and generated tools for an authenticated caller."""

    def __init__(
        self, resolve_backend: ResolveBackend, query_hash_key: Callable[[str], bytes]
    ) -> None:
        self._resolve_backend = resolve_backend
        self._query_hash_key = query_hash_key

    async def run(
        self, tool: CatalogTool, args: Mapping[str, Any], caller: Authenticated, facts: CallFacts
    ) -> ToolOutput:
        """Run ``tool`` with ``args``; raise InvalidArguments, QueryRejected or a backend error."""
        record, query = tool.database, tool.query
        assert record is not None
        assert query is not None
        facts.database, facts.mode = record.name, record.mode
        # (1) typed, bounded values
        values = check_arguments(query.parameters, args, record.dialect)
        # (2) markers -> placeholders; values stay separate
        bound = bind(query.template(values), record.dialect, values)
        # (3) the sandbox decides on the statement that will run
        policy = policy_of(record)
        snapshot = Snapshot.from_json(json.loads(record.schema_json))
        verdict = check(bound.sql, record.dialect, policy, snapshot)
        facts.query_hash = query_hash(
            verdict.normalized or bound.sql.strip(), self._query_hash_key(caller.principal.org_id)
        )
        if not verdict.allowed:
            raise QueryRejected(verdict.rule, verdict.reason)
        cap = query.max_rows
        limits = policy.limits(min(cap, policy.max_rows) if cap else None)
        # (4) the backend validates again and binds the values in the driver
        backend = await self._resolve_backend(caller, record)
        result = await backend.run(
            bound.sql, limits, policy=policy, snapshot=snapshot, params=bound.params
        )
        facts.row_count = result.row_count
        return ToolOutput(
            {
                "columns": result.columns,
                "rows": result.rows,
                "row_count": result.row_count,
                "truncated": result.truncated,
            }
        )
