"""REST routes for named and generated tools, toolsets and the tool-list budget.

``/api/v1/tools``: list, show, add (a tools file as YAML or definitions as
JSON), remove, generate ``find_<table>`` tools, and measure the tool list;
``/api/v1/keys/{key_id}/toolsets``: limit a key to toolsets. Every change is
checked before it is stored (the sandbox sees each statement) and announced
to connected MCP clients. A key limited to toolsets can use tools but not
change them.
"""

# No "from __future__ import annotations": FastAPI must see the Caller alias at runtime.

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from conexor.mcp.notify import CatalogNotifier
from conexor.schema import Snapshot
from conexor.server.auth import Authenticated
from conexor.store import DatabaseRecord, Databases, NotFound
from conexor.store.tools import NewTool, Tools
from conexor.tools.budget import tool_budget
from conexor.tools.checks import check_definition, check_generated
from conexor.tools.definition import (
    BUILTIN_TOOLSET,
    NAME_PATTERN,
    ToolDefinition,
    load_tools_file,
    parse_definition,
)
from conexor.tools.errors import InvalidToolDefinition, ToolsetRestricted
from conexor.tools.generated import DEFAULT_CAP, MAX_CAP, GeneratedSpec, generated_name
from conexor.tools.registry import CatalogTool, Registry

__all__ = ["ToolsDeps", "build_tools_router"]


class ToolsIn(BaseModel):
    yaml: str | None = Field(default=None, max_length=1024 * 1024)
    tools: list[dict[str, Any]] | None = Field(default=None, max_length=1000)


class GenerateIn(BaseModel):
    database: str = Field(max_length=64)
    tables: list[str] = Field(default_factory=list, max_length=MAX_CAP)
    all: bool = False
    cap: int = Field(default=DEFAULT_CAP, ge=1, le=MAX_CAP)
    filters: dict[str, list[str]] = Field(default_factory=dict)
    toolsets: list[str] = Field(default_factory=list, max_length=20)


class ToolsetsIn(BaseModel):
    toolsets: list[str] = Field(max_length=100)


@dataclass(frozen=True)
class ToolsDeps:
    """The narrow services the tool routes need."""

    tools: Tools
    databases: Databases
    registry: Registry
    notifier: CatalogNotifier


def build_tools_router(deps: ToolsDeps, caller: Any) -> APIRouter:
    """The tool routes, authenticated with the REST API's ``caller`` dependency."""
    router = APIRouter(prefix="/api/v1")
    Caller = Annotated[Authenticated, Depends(caller)]

    @router.get("/tools")
    async def list_tools(who: Caller) -> dict[str, Any]:
        """The tools this key sees (built-in, named, generated), with kind and toolsets."""
        catalog = await deps.registry.for_key(who.principal)
        limit = await anyio.to_thread.run_sync(deps.tools.key_toolsets, who.principal.key_id)
        return {"tools": [_summary(t) for t in catalog], "key_toolsets": list(limit)}

    @router.get("/tools/budget")
    async def budget(who: Caller) -> dict[str, Any]:
        """Estimated tokens of the tool list this key's MCP client receives."""
        catalog = await deps.registry.for_key(who.principal)
        return tool_budget([_as_listed(t) for t in catalog])

    @router.get("/tools/{name}")
    async def show_tool(who: Caller, name: str) -> dict[str, Any]:
        """One tool: its definition (or generation spec), parameters and input schema."""
        tool = await deps.registry.find(who.principal, name)
        if tool is None:
            raise NotFound(f"unknown tool {name[:64]!r}")
        out = _summary(tool)
        out["input_schema"] = dict(tool.spec.input_schema)
        if tool.kind != "builtin":
            record = await anyio.to_thread.run_sync(deps.tools.get, who.principal.org_id, name)
            out["definition"] = json.loads(record.definition_json)
        if tool.kind == "generated" and tool.query is not None and tool.database is not None:
            out["example_sql"] = tool.query.template({"limit": 1})
        return out

    @router.post("/tools", status_code=201)
    async def add_tools(who: Caller, body: ToolsIn) -> dict[str, Any]:
        """Check and save tools (replacing same-named ones); all or nothing."""
        await _writable(who)
        if (body.yaml is None) == (body.tools is None):
            raise InvalidToolDefinition("send either yaml (a tools file) or tools (definitions)")
        if body.yaml is not None:
            definitions = load_tools_file(body.yaml)
        else:
            definitions = [parse_definition(d) for d in body.tools or []]
        if not definitions:
            raise InvalidToolDefinition("no tools to add")
        names = [d.name for d in definitions]
        if len(set(names)) != len(names):
            raise InvalidToolDefinition("two tools have the same name")
        new = await anyio.to_thread.run_sync(_checked_named, deps, who, definitions)
        await anyio.to_thread.run_sync(
            deps.tools.put, who.principal.org_id, who.principal.user_id, new
        )
        await deps.notifier.tools_changed(who.principal.org_id)
        return {"added": names}

    @router.post("/tools/generate", status_code=201)
    async def generate(who: Caller, body: GenerateIn) -> dict[str, Any]:
        """Create ``find_<table>`` tools for the chosen tables (or all, up to ``cap``)."""
        await _writable(who)
        if bool(body.tables) == body.all:
            raise InvalidToolDefinition("name tables, or ask for all of them (not both)")
        _check_toolsets(body.toolsets)
        new, skipped = await anyio.to_thread.run_sync(_checked_generated, deps, who, body)
        if new:
            await anyio.to_thread.run_sync(
                deps.tools.put, who.principal.org_id, who.principal.user_id, new
            )
            await deps.notifier.tools_changed(who.principal.org_id)
        return {"added": [t.name for t in new], "skipped": skipped}

    @router.delete("/tools/{name}")
    async def remove_tool(who: Caller, name: str) -> dict[str, Any]:
        """Remove a named or generated tool (built-in tools cannot be removed)."""
        await _writable(who)
        removed = await anyio.to_thread.run_sync(
            deps.tools.remove, who.principal.org_id, [name[:64]]
        )
        await deps.notifier.tools_changed(who.principal.org_id)
        return {"removed": removed}

    @router.get("/keys/{key_id}/toolsets")
    async def key_toolsets(who: Caller, key_id: str) -> dict[str, Any]:
        """The toolsets a key of the organisation is limited to (empty: none)."""
        limit = await anyio.to_thread.run_sync(
            deps.tools.key_toolsets, key_id[:32], who.principal.org_id
        )
        return {"key_id": key_id, "toolsets": list(limit)}

    @router.put("/keys/{key_id}/toolsets")
    async def set_key_toolsets(who: Caller, key_id: str, body: ToolsetsIn) -> dict[str, Any]:
        """Limit a key to toolsets (``builtin`` keeps the built-in tools); [] lifts the limit."""
        await _writable(who)
        _check_toolsets(body.toolsets, allow_builtin=True)
        await anyio.to_thread.run_sync(
            deps.tools.set_key_toolsets, who.principal.org_id, key_id[:32], body.toolsets
        )
        await deps.notifier.tools_changed(who.principal.org_id)
        return {"key_id": key_id, "toolsets": sorted(set(body.toolsets))}

    async def _writable(who: Authenticated) -> None:
        limit = await anyio.to_thread.run_sync(deps.tools.key_toolsets, who.principal.key_id)
        if limit:
            raise ToolsetRestricted()

    return router


def _summary(tool: CatalogTool) -> dict[str, Any]:
    return {
        "name": tool.spec.name,
        "kind": tool.kind,
        "database": tool.database.name if tool.database else None,
        "toolsets": list(tool.toolsets),
        "description": tool.spec.description,
    }


def _as_listed(tool: CatalogTool) -> dict[str, Any]:
    """The tool as ``tools/list`` sends it (field names as on the wire)."""
    return {
        "name": tool.spec.name,
        "title": tool.spec.title,
        "description": tool.spec.description,
        "inputSchema": dict(tool.spec.input_schema),
        "annotations": {"readOnlyHint": True, "openWorldHint": False},
    }


def _check_toolsets(toolsets: list[str], *, allow_builtin: bool = False) -> None:
    for name in toolsets:
        if not re.fullmatch(NAME_PATTERN, name):
            raise InvalidToolDefinition("toolset names are letters, digits, _ and -, at most 64")
        if name == BUILTIN_TOOLSET and not allow_builtin:
            raise InvalidToolDefinition(f"toolset {BUILTIN_TOOLSET!r} is reserved")


def _database(deps: ToolsDeps, who: Authenticated, name: str) -> DatabaseRecord:
    try:
        return deps.databases.get_for_key(who.principal.org_id, who.principal.key_id, name)
    except NotFound:
        raise NotFound(f"unknown database {name[:64]!r}") from None


def _snapshot(database: DatabaseRecord) -> Snapshot:
    return Snapshot.from_json(json.loads(database.schema_json))


def _checked_named(
    deps: ToolsDeps, who: Authenticated, definitions: list[ToolDefinition]
) -> list[NewTool]:
    new = []
    for definition in definitions:
        database = _database(deps, who, definition.database)
        check_definition(definition, database, _snapshot(database))
        new.append(
            NewTool(
                name=definition.name,
                kind="named",
                database_id=database.id,
                definition_json=definition.model_dump_json(exclude_defaults=True),
                toolsets=definition.toolsets,
            )
        )
    return new


def _checked_generated(
    deps: ToolsDeps, who: Authenticated, body: GenerateIn
) -> tuple[list[NewTool], list[str]]:
    database = _database(deps, who, body.database)
    visible = deps.registry.visible_snapshot(database)
    snapshot = _snapshot(database)
    if body.all:
        wanted = [t.qualified_name for t in visible.tables]
    else:
        wanted = []
        for name in body.tables:
            table = visible.find_table(name)
            if table is None:
                raise InvalidToolDefinition(
                    f"unknown table {name[:80]!r} in database {database.name!r}"
                )
            wanted.append(table.qualified_name)
    skipped = wanted[body.cap :]
    new: list[NewTool] = []
    names: set[str] = set()
    for qualified in wanted[: body.cap]:
        table = visible.find_table(qualified)
        assert table is not None
        name = generated_name(table)
        if name in names:
            skipped.append(qualified)
            continue
        filters = tuple(body.filters.get(qualified, body.filters.get(table.name, [])))
        spec = GeneratedSpec(table=qualified, filters=filters)
        check_generated(name, spec, database, visible, snapshot)
        names.add(name)
        new.append(
            NewTool(
                name=name,
                kind="generated",
                database_id=database.id,
                definition_json=spec.model_dump_json(exclude_defaults=True),
                toolsets=tuple(body.toolsets),
            )
        )
    return new, skipped
