"""The tool list one API key sees: built-ins, then its organisation's named and generated tools.

Built per request from the store reads (served from the short-lived read
cache, which every change drops), so a saved tool, a removed database, a new
policy or a re-introspected schema shows in the very next ``tools/list``
without a restart. A key sees a stored tool only when it may
use the tool's database; a key limited to toolsets sees only the tools in
them (the built-in tools form the toolset ``builtin``).

Generated tools are rebuilt here from the schema as the policy shows it, so
a column denied after generation disappears from the tool at once, and a
tool whose table is gone or hidden is left out.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import ValidationError

from conexor.sandbox import JsonValue, Policy
from conexor.schema import Snapshot
from conexor.store import DatabaseRecord, Databases, Principal
from conexor.store.readcache import ReadCache
from conexor.store.tools import ToolRecord, Tools
from conexor.tools.catalog import BUILTIN_TOOLS, ToolSpec
from conexor.tools.definition import BUILTIN_TOOLSET, ToolDefinition
from conexor.tools.errors import InvalidToolDefinition
from conexor.tools.generated import FindTool, GeneratedSpec, build_find_tool
from conexor.tools.params import Parameter, parameter_schema
from conexor.tools.visibility import visible

__all__ = ["CatalogTool", "DatabaseViews", "NamedQuery", "Registry", "input_schema"]

log = logging.getLogger("conexor.tools")
_BUILTIN_BY_NAME: Final = {spec.name: spec for spec in BUILTIN_TOOLS}

_CACHE_SIZE: Final = 64


@dataclass(frozen=True)
class NamedQuery:
    """A saved statement: the same template whatever the values."""

    definition: ToolDefinition

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The declared parameters."""
        return self.definition.parameters

    @property
    def max_rows(self) -> int | None:
        """The tool's own row cap, if lower than the database's."""
        return self.definition.max_rows

    def template(self, values: Mapping[str, JsonValue | Sequence[JsonValue]]) -> str:
        """The statement with ``:name`` markers."""
        return self.definition.sql


@dataclass(frozen=True)
class DatabaseViews:
    """A database's stored policy and schema, parsed: what every call on it needs."""

    policy: Policy
    snapshot: Snapshot
    visible: Snapshot


@dataclass(frozen=True)
class CatalogTool:
    """One tool a caller may see and call."""

    spec: ToolSpec
    kind: Literal["builtin", "named", "generated"]
    toolsets: tuple[str, ...]
    database: DatabaseRecord | None = None
    query: NamedQuery | FindTool | None = None


def input_schema(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The JSON Schema of a named or generated tool's arguments."""
    return {
        "type": "object",
        "properties": {p.name: parameter_schema(p) for p in parameters},
        "required": [p.name for p in parameters if not p.optional],
        "additionalProperties": False,
    }


class Registry:
    """Builds each caller's tool list from the store."""

    def __init__(self, tools: Tools, databases: Databases, cache: ReadCache) -> None:
        self._tools = tools
        self._databases = databases
        self._cache = cache
        self._views: OrderedDict[tuple[str, int, int], DatabaseViews] = OrderedDict()

    async def for_key(self, principal: Principal) -> list[CatalogTool]:
        """Every tool ``principal``'s key sees, built-ins first."""
        limit = await self._toolsets(principal)
        out: list[CatalogTool] = []
        if not limit or BUILTIN_TOOLSET in limit:
            out.extend(CatalogTool(t, "builtin", (BUILTIN_TOOLSET,)) for t in BUILTIN_TOOLS)
        databases = {d.id: d for d in await self.databases_for(principal)}
        org_id = principal.org_id
        records = await self._cache.aget(("tools", org_id), lambda: self._tools.of_org(org_id))
        for record in records:
            database = databases.get(record.database_id)
            if database is None or (limit and not limit & set(record.toolsets)):
                continue
            tool = self._build(record, database)
            if tool is not None:
                out.append(tool)
        return out

    async def find(self, principal: Principal, name: str) -> CatalogTool | None:
        """The tool called ``name`` if ``principal``'s key sees it (the same rules as for_key).

        On every call, so it builds only this one tool. Its reads come from the
        read cache when fresh: for a built-in, the key's toolsets; for a named
        tool also the organisation's tool records and the key's databases.
        """
        limit = await self._toolsets(principal)
        builtin = _BUILTIN_BY_NAME.get(name)
        if builtin is not None:
            if limit and BUILTIN_TOOLSET not in limit:
                return None
            return CatalogTool(builtin, "builtin", (BUILTIN_TOOLSET,))
        records = await self._cache.aget(
            ("tools", principal.org_id), lambda: self._tools.of_org(principal.org_id)
        )
        record = next((r for r in records if r.name == name), None)
        if record is None or (limit and not limit & set(record.toolsets)):
            return None
        databases = await self.databases_for(principal)
        database = next((d for d in databases if d.id == record.database_id), None)
        return None if database is None else self._build(record, database)

    async def databases_for(self, principal: Principal) -> list[DatabaseRecord]:
        """The databases ``principal``'s key may use, by name (from the read cache when fresh)."""
        org_id, key_id = principal.org_id, principal.key_id
        return await self._cache.aget(
            ("databases", key_id), lambda: self._databases.list_for_key(org_id, key_id)
        )

    async def _toolsets(self, principal: Principal) -> set[str]:
        key_id = principal.key_id
        found = await self._cache.aget(
            ("toolsets", key_id), lambda: tuple(self._tools.key_toolsets(key_id))
        )
        return set(found)

    def views(self, database: DatabaseRecord) -> DatabaseViews:
        """The database's policy and schema, parsed once per stored content."""
        key = (database.id, hash(database.schema_json), hash(database.policy_json))
        cached = self._views.get(key)
        if cached is None:
            policy = policy_of(database)
            snapshot = Snapshot.from_json(json.loads(database.schema_json))
            cached = DatabaseViews(policy, snapshot, visible(snapshot, policy))
            self._views[key] = cached
            while len(self._views) > _CACHE_SIZE:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(key)
        return cached

    def visible_snapshot(self, database: DatabaseRecord) -> Snapshot:
        """The database's schema as its policy lets callers see it (cached per content)."""
        return self.views(database).visible

    def _build(self, record: ToolRecord, database: DatabaseRecord) -> CatalogTool | None:
        try:
            if record.kind == "named":
                definition = ToolDefinition.model_validate_json(record.definition_json)
                query: NamedQuery | FindTool = NamedQuery(definition)
                description = f"{definition.description} (database {database.name})"
            else:
                spec = GeneratedSpec.model_validate_json(record.definition_json)
                query = build_find_tool(
                    record.name,
                    spec,
                    self.visible_snapshot(database),
                    database.dialect,
                    policy_of(database).max_rows,
                )
                description = f"{query.description} (database {database.name})"
        except (ValidationError, InvalidToolDefinition) as exc:
            # A table dropped or hidden since generation: the tool is simply not offered.
            reason = exc.public if isinstance(exc, InvalidToolDefinition) else "invalid definition"
            log.info("tool %s not offered: %s", record.name, reason)
            return None
        spec_ = ToolSpec(record.name, record.name, description, input_schema(query.parameters))
        return CatalogTool(spec_, record.kind, record.toolsets, database, query)


def policy_of(database: DatabaseRecord) -> Policy:
    """The database's stored policy."""
    return Policy.from_json(json.loads(database.policy_json))
