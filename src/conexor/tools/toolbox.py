"""Import a Google MCP Toolbox ``tools.yaml``: its SQL tools, parameters and toolsets.

Both of Toolbox's layouts are read: the map format (``sources:``,
``tools:``, ``toolsets:`` as mappings, each tool with ``kind:``) and the
multi-document format (``---``-separated documents with ``kind: sources |
tools | toolsets``, ``name:`` and, for tools, ``type:``).

What is converted: tools of the plain SQL kinds for PostgreSQL, MySQL and
SQLite (``postgres-sql``, ``mysql-sql``, ``sqlite-sql`` and the Cloud SQL /
AlloyDB variants), their ``statement`` (``$1`` or ``?`` become ``:name``
markers in parameter order), their parameters (string, integer, float,
boolean, arrays of those; ``required``, ``default``, ``allowedValues``,
``minValue``/``maxValue``) and toolsets. Each tool's ``source`` is mapped
to a conexor database with ``--map SOURCE=DATABASE``.

What is not: ``sources`` (they hold hosts, users and passwords — they are
never read into the result, let alone uploaded; register the databases with
``conexor db add``), other tool kinds, ``templateParameters`` (they splice
identifiers into SQL text), ``map`` parameters and auth settings. Every such
part is reported; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from conexor.sandbox import Dialect
from conexor.tools.binding import positional_to_named
from conexor.tools.definition import read_yaml_documents
from conexor.tools.errors import InvalidToolDefinition

__all__ = ["ImportReport", "convert_toolbox"]

_SQL_KINDS: Final[dict[str, Dialect]] = {
    "postgres-sql": "postgresql",
    "cloud-sql-postgres-sql": "postgresql",
    "alloydb-postgres-sql": "postgresql",
    "mysql-sql": "mysql",
    "cloud-sql-mysql-sql": "mysql",
    "sqlite-sql": "sqlite",
}
_TYPES: Final = {"string": "string", "integer": "integer", "float": "number", "boolean": "boolean"}
_PARAM_FIELDS: Final = frozenset(
    {"name", "type", "description", "required", "default", "allowedValues", "items"}
    | {"minValue", "maxValue"}
)
_TOOL_FIELDS: Final = frozenset(
    {"kind", "type", "name", "source", "description", "statement", "parameters"}
)
SOURCES_WARNING: Final = (
    "the file's sources (hosts, users, passwords) were not imported and are never uploaded:"
    " register each database with conexor db add"
)


@dataclass
class ImportReport:
    """Converted definitions (JSON-ready, conexor's format) and what was left out, and why."""

    definitions: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def convert_toolbox(text: str, mapping: Mapping[str, str]) -> ImportReport:
    """Convert a Toolbox tools file; ``mapping`` maps Toolbox source names to database names."""
    report = ImportReport()
    sources, tools, toolsets = _collect(read_yaml_documents(text, "Toolbox file"), report)
    if sources:
        report.warnings.append(SOURCES_WARNING)
    member_of: dict[str, list[str]] = {}
    for toolset, members in toolsets.items():
        for member in members:
            if member not in tools:
                report.unsupported.append(f"toolset {toolset!r}: unknown tool {member!r} left out")
                continue
            member_of.setdefault(member, []).append(toolset)
    for name, body in tools.items():
        try:
            definition = _tool(name, body, sources, mapping, report)
        except InvalidToolDefinition as exc:
            report.unsupported.append(f"tool {name!r}: {exc.public}")
            continue
        if definition is not None:
            definition["toolsets"] = sorted(set(member_of.get(name, [])))
            report.definitions.append(definition)
    return report


def _collect(
    documents: list[Any], report: ImportReport
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    sources: dict[str, Any] = {}
    tools: dict[str, Any] = {}
    toolsets: dict[str, list[str]] = {}
    documents = [d for d in documents if d is not None]
    if len(documents) == 1 and isinstance(documents[0], Mapping) and "kind" not in documents[0]:
        doc = documents[0]
        for key, value in doc.items():
            if key == "sources" and isinstance(value, Mapping):
                sources.update({str(k): v for k, v in value.items()})
            elif key == "tools" and isinstance(value, Mapping):
                tools.update({str(k): v for k, v in value.items()})
            elif key == "toolsets" and isinstance(value, Mapping):
                toolsets.update({str(k): _names(v) for k, v in value.items()})
            else:
                report.unsupported.append(f"top-level {key!r} is not imported")
        return sources, tools, toolsets
    for doc in documents:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("name"), str):
            raise InvalidToolDefinition("every Toolbox document needs a kind and a name")
        kind, name = doc.get("kind"), doc["name"]
        if kind == "sources":
            sources[name] = doc
        elif kind == "tools":
            tools[name] = doc
        elif kind == "toolsets":
            toolsets[name] = _names(doc.get("tools"))
        else:
            report.unsupported.append(f"{kind} {name!r} is not imported")
    return sources, tools, toolsets


def _names(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidToolDefinition("a Toolbox toolset must list tool names")
    return list(value)


def _tool(
    name: str,
    body: object,
    sources: Mapping[str, Any],
    mapping: Mapping[str, str],
    report: ImportReport,
) -> dict[str, Any] | None:
    if not isinstance(body, Mapping):
        raise InvalidToolDefinition("not a mapping")
    kind = body.get("type") if body.get("kind") == "tools" else body.get("kind")
    if kind not in _SQL_KINDS:
        report.unsupported.append(
            f"tool {name!r}: kind {str(kind)[:40]!r} is not supported (only SQL statement tools;"
            " conexor's query tool covers ad-hoc SQL)"
        )
        return None
    if body.get("templateParameters"):
        raise InvalidToolDefinition("templateParameters splice text into SQL and are not supported")
    for key in sorted(set(body) - _TOOL_FIELDS):
        report.unsupported.append(f"tool {name!r}: field {key!r} ignored")
    source = body.get("source")
    if not isinstance(source, str) or source not in mapping:
        raise InvalidToolDefinition(
            f"its source {str(source)[:64]!r} has no --map {str(source)[:64]}=DATABASE"
        )
    if source not in sources:
        report.warnings.append(f"tool {name!r}: source {source!r} is not defined in the file")
    statement = body.get("statement")
    if not isinstance(statement, str) or not statement.strip():
        raise InvalidToolDefinition("it has no statement")
    raw_params = body.get("parameters") or []
    if not isinstance(raw_params, list):
        raise InvalidToolDefinition("parameters must be a list")
    params = [_parameter(name, p, report) for p in raw_params]
    sql = positional_to_named(
        statement.strip().rstrip(";").strip(), _SQL_KINDS[kind], [p["name"] for p in params]
    )
    return {
        "name": name,
        "description": str(body.get("description") or name)[:4000],
        "database": mapping[source],
        "sql": sql,
        "parameters": params,
    }


def _parameter(tool: str, raw: object, report: ImportReport) -> dict[str, Any]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise InvalidToolDefinition("a parameter has no name")
    name = raw["name"]
    for key in sorted(set(raw) - _PARAM_FIELDS):
        report.unsupported.append(f"tool {tool!r}: parameter {name!r}: field {key!r} ignored")
    out: dict[str, Any] = {"name": name, "description": str(raw.get("description") or "")}
    kind = raw.get("type")
    if kind == "array":
        items = raw.get("items")
        item_type = items.get("type") if isinstance(items, Mapping) else None
        if item_type not in _TYPES:
            raise InvalidToolDefinition(f"parameter {name!r}: arrays of {item_type!r} unsupported")
        out["type"], out["items"] = "array", _TYPES[str(item_type)]
        report.warnings.append(
            f"tool {tool!r}: array parameter {name!r} expands to a list of values: write"
            f" IN (:{name}) in the statement (not = ANY(...))"
        )
    elif kind in _TYPES:
        out["type"] = _TYPES[str(kind)]
    else:
        raise InvalidToolDefinition(f"parameter {name!r}: type {str(kind)[:20]!r} unsupported")
    if raw.get("required") is False:
        out["required"] = False
    for theirs, ours in (
        ("default", "default"),
        ("allowedValues", "allowed_values"),
        ("minValue", "min"),
        ("maxValue", "max"),
    ):
        if raw.get(theirs) is not None:
            out[ours] = raw[theirs]
    return out
