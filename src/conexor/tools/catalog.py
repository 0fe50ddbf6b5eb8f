"""The MCP tools a principal sees, with their JSON Schemas.

Names and arguments of the four built-in tools are contract. The catalog is
built per caller so later work (named and generated tools) can differ by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conexor.sandbox import MAX_ROWS_LIMIT, MAX_SQL_BYTES

__all__ = ["BUILTIN_TOOLS", "ToolSpec", "tool_spec"]

_DATABASE = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "Database name, as returned by list_databases.",
}


@dataclass(frozen=True)
class ToolSpec:
    """One tool: name, a description for the model, and the schema its arguments must meet."""

    name: str
    title: str
    description: str
    input_schema: Mapping[str, Any]


BUILTIN_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "list_databases",
        "List databases",
        "List the databases this API key may query, with their SQL dialect and mode.",
        {"type": "object", "properties": {}, "additionalProperties": False},
    ),
    ToolSpec(
        "list_tables",
        "List tables",
        "List the tables and views of a database with column counts and comments.",
        {
            "type": "object",
            "properties": {"database": _DATABASE},
            "required": ["database"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "describe_table",
        "Describe a table",
        "Describe one table or view: columns, types, nullability, keys and comments.",
        {
            "type": "object",
            "properties": {
                "database": _DATABASE,
                "table": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 256,
                    "description": "Table name, optionally schema-qualified (schema.table).",
                },
            },
            "required": ["database", "table"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "search_schema",
        "Search the schema",
        "Find tables and columns whose name or comment matches a pattern "
        "(case-insensitive; * and ? are wildcards). Use it on large databases "
        "instead of listing every table.",
        {
            "type": "object",
            "properties": {
                "database": _DATABASE,
                "pattern": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "description": "Text or wildcard pattern, e.g. 'customer' or 'order*date'.",
                },
            },
            "required": ["database", "pattern"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "query",
        "Run a read-only query",
        "Run exactly one read-only SELECT statement and return at most max_rows rows. "
        "Writes, DDL, several statements and locking clauses are refused.",
        {
            "type": "object",
            "properties": {
                "database": _DATABASE,
                "sql": {
                    "type": "string",
                    "minLength": 1,
                    "description": f"One SELECT statement (at most {MAX_SQL_BYTES // 1024} KB).",
                },
                "max_rows": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_ROWS_LIMIT,
                    "description": "Return at most this many rows (default: the database's cap).",
                },
            },
            "required": ["database", "sql"],
            "additionalProperties": False,
        },
    ),
)

_BY_NAME = {tool.name: tool for tool in BUILTIN_TOOLS}


def tool_spec(name: str) -> ToolSpec | None:
    """The spec of a tool by name, or None when there is no such tool."""
    return _BY_NAME.get(name)
