"""The four built-in tools: list_databases, list_tables, describe_table, query.

Each call fills a ``CallFacts`` as it learns things (database, mode, query
hash, row count) so the audit record is complete whether the call succeeds,
is rejected or fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conexor.audit.queryhash import query_hash
from conexor.backends import Backend
from conexor.sandbox import QueryRejected, check
from conexor.schema import describe, search, table_list
from conexor.server.auth import Authenticated
from conexor.store import DatabaseRecord, NotFound
from conexor.store.databases import Mode
from conexor.tools.arguments import InvalidArguments
from conexor.tools.registry import Registry

__all__ = ["BuiltinTools", "CallFacts", "ToolOutput"]

ResolveBackend = Callable[[Authenticated, DatabaseRecord], Awaitable[Backend]]


@dataclass
class CallFacts:
    """What the audit record needs to know about a call, filled in as the call proceeds."""

    database: str | None = None
    mode: Mode | None = None
    query_hash: str | None = None
    row_count: int | None = None


@dataclass(frozen=True)
class ToolOutput:
    """A successful tool result: the contract's structured content."""

    structured: dict[str, object]


class BuiltinTools:
    """Runs built-in tools for an authenticated caller."""

    def __init__(
        self,
        registry: Registry,
        resolve_backend: ResolveBackend,
        query_hash_key: Callable[[str], bytes],
    ) -> None:
        self._registry = registry
        self._resolve_backend = resolve_backend
        self._query_hash_key = query_hash_key

    async def call(
        self, name: str, args: Mapping[str, Any], caller: Authenticated, facts: CallFacts
    ) -> ToolOutput:
        """Dispatch to the named tool; arguments were validated against its schema."""
        if name == "list_databases":
            return await self._list_databases(caller, facts)
        if name == "query":
            return await self._query(caller, args, facts)
        record = await self._database(caller, args["database"], facts)
        views = self._registry.views(record)
        if name == "list_tables":
            facts.row_count = len(views.visible.tables)
            return ToolOutput(table_list(views.visible))
        if name == "search_schema":
            found = search(views.visible, args["pattern"])
            facts.row_count = len(found["rows"])  # type: ignore[arg-type]
            return ToolOutput(found)
        if name == "describe_table":
            table = views.visible.find_table(args["table"])
            if table is None:
                raise NotFound(
                    f"unknown table {args['table'][:80]!r} in database {record.name!r}; "
                    "call list_tables to see what exists"
                )
            facts.row_count = len(table.columns)
            return ToolOutput(describe(table))
        raise InvalidArguments(f"unknown tool {name[:64]!r}")

    async def _list_databases(self, caller: Authenticated, facts: CallFacts) -> ToolOutput:
        records = await self._registry.databases_for(caller.principal)
        rows: list[list[Any]] = []
        for r in records:
            views = self._registry.views(r)
            rows.append(
                [r.name, r.dialect, r.mode, len(views.snapshot.tables), views.policy.max_rows]
            )
        facts.row_count = len(rows)
        return ToolOutput(
            {
                "columns": ["name", "dialect", "mode", "tables", "max_rows"],
                "rows": rows,
                "row_count": len(rows),
                "truncated": False,
            }
        )

    async def _database(self, caller: Authenticated, name: str, facts: CallFacts) -> DatabaseRecord:
        facts.database = name
        records = await self._registry.databases_for(caller.principal)
        record = next((r for r in records if r.name == name), None)
        if record is None:
            raise NotFound(
                f"unknown database {name[:64]!r}; call list_databases to see what this key may use"
            )
        facts.mode = record.mode
        return record

    async def _query(
        self, caller: Authenticated, args: Mapping[str, Any], facts: CallFacts
    ) -> ToolOutput:
        record = await self._database(caller, args["database"], facts)
        sql: str = args["sql"]
        views = self._registry.views(record)
        policy, snapshot = views.policy, views.snapshot
        verdict = check(sql, record.dialect, policy, snapshot)
        facts.query_hash = query_hash(
            verdict.normalized or sql.strip(), self._query_hash_key(caller.principal.org_id)
        )
        if not verdict.allowed:
            raise QueryRejected(verdict.rule, verdict.reason)
        limits = policy.limits(args.get("max_rows"))
        backend = await self._resolve_backend(caller, record)
        result = await backend.run(sql, limits, policy=policy, snapshot=snapshot)
        facts.row_count = result.row_count
        return ToolOutput(
            {
                "columns": result.columns,
                "rows": result.rows,
                "row_count": result.row_count,
                "truncated": result.truncated,
            }
        )
