"""The tool list one API key sees: built-ins, then its organisation's named and generated tools.

Built per request from the store, so a saved tool, a removed database, a
new policy or a re-introspected schema shows in the very next
``tools/list`` without a restart. A key sees a stored tool only when it may
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
from conexor.store import DatabaseRecord, Databases, NotFound, Principal
from conexor.store.tools import ToolRecord, Tools
from conexor.tools.catalog import BUILTIN_TOOLS, ToolSpec
from conexor.tools.definition import BUILTIN_TOOLSET, ToolDefinition
from conexor.tools.errors import InvalidToolDefinition
from conexor.tools.generated import FindTool, GeneratedSpec, build_find_tool
from conexor.tools.params import Parameter, parameter_schema
from conexor.tools.visibility import visible

__all__ = ["CatalogTool", "NamedQuery", "Registry", "input_schema"]

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

    def __init__(self, tools: Tools, databases: Databases) -> None:
        self._tools = tools
        self._databases = databases
        self._snapshots: OrderedDict[tuple[str, int, int], Snapshot] = OrderedDict()

    def for_key(self, principal: Principal) -> list[CatalogTool]:
        """Every tool ``principal``'s key sees, built-ins first. Blocking (store reads)."""
        limit = set(self._tools.key_toolsets(principal.key_id))
        out: list[CatalogTool] = []
        if not limit or BUILTIN_TOOLSET in limit:
            out.extend(CatalogTool(t, "builtin", (BUILTIN_TOOLSET,)) for t in BUILTIN_TOOLS)
        databases = {
            d.id: d for d in self._databases.list_for_key(principal.org_id, principal.key_id)
        }
        for record in self._tools.of_org(principal.org_id):
            database = databases.get(record.database_id)
            if database is None or (limit and not limit & set(record.toolsets)):
                continue
            tool = self._build(record, database)
            if tool is not None:
                out.append(tool)
        return out

    def find(self, principal: Principal, name: str) -> CatalogTool | None:
        """The tool called ``name`` if ``principal``'s key sees it (the same rules as for_key).

        On every call, so it reads only what this one tool needs: a built-in
        costs one lookup (the key's toolsets), a named tool three, and no other
        tool is built.
        """
        limit = set(self._tools.key_toolsets(principal.key_id))
        builtin = _BUILTIN_BY_NAME.get(name)
        if builtin is not None:
            if limit and BUILTIN_TOOLSET not in limit:
                return None
            return CatalogTool(builtin, "builtin", (BUILTIN_TOOLSET,))
        try:
            record = self._tools.get(principal.org_id, name)
        except NotFound:
            return None
        if limit and not limit & set(record.toolsets):
            return None
        databases = self._databases.list_for_key(principal.org_id, principal.key_id)
        database = next((d for d in databases if d.id == record.database_id), None)
        return None if database is None else self._build(record, database)

    def visible_snapshot(self, database: DatabaseRecord) -> Snapshot:
        """The database's schema as its policy lets callers see it (cached per content)."""
        key = (database.id, hash(database.schema_json), hash(database.policy_json))
        cached = self._snapshots.get(key)
        if cached is None:
            snapshot = Snapshot.from_json(json.loads(database.schema_json))
            cached = visible(snapshot, policy_of(database))
            self._snapshots[key] = cached
            while len(self._snapshots) > _CACHE_SIZE:
                self._snapshots.popitem(last=False)
        else:
            self._snapshots.move_to_end(key)
        return cached

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
