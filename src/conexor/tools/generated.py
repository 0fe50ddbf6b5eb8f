"""``find_<table>`` tools generated from schema metadata: deterministic, no model, no rows.

For a table the user selected, the generator reads only the stored schema
snapshot as the database's policy lets callers see it (denied columns and
tables are absent before generation starts) and builds:

- one equality filter per key column (primary key, foreign key), per
  leading column of an index, and per column the user named, plus
  ``<column>_min``/``<column>_max`` range filters for numbers, dates and
  timestamps;
- ``order_by`` (one of the table's columns), ``descending`` and ``limit``.

Descriptions come from the database's table and column comments, and
foreign keys are named in them, so the AI can follow a relation to the
next ``find_`` tool. Only an index's leading column counts as indexed: a
filter on it alone can use the index. Snapshots taken before indexes were
recorded have none; their tables filter on key columns and the user's list.

The statement is rebuilt on every call from the filters the caller gave,
with column and table names quoted from the snapshot and every value a
``:name`` marker bound by the driver (:mod:`conexor.tools.binding`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from conexor.bounds import GENERATED_TOOLS_DEFAULT_CAP, GENERATED_TOOLS_MAX_CAP
from conexor.sandbox import Dialect, JsonValue
from conexor.schema import Column, Snapshot, Table
from conexor.tools.errors import InvalidToolDefinition
from conexor.tools.params import Parameter, ScalarType

__all__ = [
    "DEFAULT_CAP",
    "MAX_CAP",
    "FindTool",
    "GeneratedSpec",
    "build_find_tool",
    "column_kind",
    "generated_name",
    "quote_identifier",
]

#: How many tables ``generate --all`` covers unless told otherwise, and at most.
DEFAULT_CAP: Final = GENERATED_TOOLS_DEFAULT_CAP
MAX_CAP: Final = GENERATED_TOOLS_MAX_CAP
#: Columns offered in ``order_by`` at most (a very wide table would bloat the tool list).
MAX_ORDER_COLUMNS: Final = 60
DEFAULT_LIMIT: Final = 50
_RESERVED: Final = frozenset({"order_by", "descending", "limit"})


class GeneratedSpec(BaseModel):
    """What is stored for a generated tool: the selection, never the statement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str = Field(min_length=1, max_length=2048)
    filters: tuple[str, ...] = Field(default=(), max_length=100)


@dataclass(frozen=True)
class _Filter:
    param: Parameter
    column: Column
    op: str


@dataclass(frozen=True)
class FindTool:
    """A generated tool for one table: its parameters and how to build its statement."""

    name: str
    description: str
    table: Table
    dialect: Dialect
    parameters: tuple[Parameter, ...]
    filters: tuple[_Filter, ...]
    order_columns: Mapping[str, Column]
    default_order: tuple[Column, ...]
    max_rows: int | None = None

    def template(self, values: Mapping[str, JsonValue | Sequence[JsonValue]]) -> str:
        """The SELECT for the filters given in ``values``, with ``:name`` markers for values."""
        q = self._quote
        columns = ", ".join(q(c.name) for c in self.table.columns)
        source = q(self.table.name)
        if self.table.schema is not None:
            source = f"{q(self.table.schema)}.{source}"
        conditions = [
            f"{q(f.column.name)} {f.op} :{f.param.name}"
            for f in self.filters
            if values.get(f.param.name) is not None
        ]
        # Identifiers come from the snapshot, quoted; values are markers, bound later.
        sql = f"SELECT {columns} FROM {source}"  # noqa: S608
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        chosen = values.get("order_by")
        order = (
            [self.order_columns[chosen]]
            if isinstance(chosen, str) and chosen in self.order_columns
            else list(self.default_order)
        )
        if order:
            direction = " DESC" if values.get("descending") is True else ""
            sql += " ORDER BY " + ", ".join(q(c.name) + direction for c in order)
        return sql + " LIMIT :limit"

    def _quote(self, name: str) -> str:
        return quote_identifier(name, self.dialect)


def quote_identifier(name: str, dialect: Dialect) -> str:
    """``name`` as a quoted identifier of ``dialect`` (quote characters doubled)."""
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def generated_name(table: Table) -> str:
    """``find_<table>`` (``find_<schema>_<table>`` outside the default schema), at most 64."""
    base = table.name if table.schema is None else f"{table.schema}_{table.name}"
    slug = re.sub(r"[^a-z0-9_]+", "_", base.lower()).strip("_") or "table"
    return f"find_{slug}"[:64]


def column_kind(type_text: str) -> ScalarType | None:
    """The parameter type a column's declared type maps to, or None (not filterable)."""
    t = type_text.lower().strip()
    if "[]" in t or t.startswith(("array", "interval", "point")) or "json" in t:
        return None
    if t in ("boolean", "bool", "bit(1)") or t.startswith("tinyint(1)"):
        return "boolean"
    if "int" in t or t.endswith("serial"):
        return "integer"
    if t.startswith(("numeric", "decimal", "real", "double", "float", "money")):
        return "number"
    if t == "date":
        return "date"
    if t.startswith(("timestamp", "datetime")):
        return "timestamp"
    if any(k in t for k in ("char", "text", "uuid", "enum", "clob", "string", "citext")):
        return "string"
    return None


def build_find_tool(
    name: str,
    spec: GeneratedSpec,
    snapshot: Snapshot,
    dialect: Dialect,
    max_rows: int,
) -> FindTool:
    """The tool for ``spec.table`` in ``snapshot`` (already reduced to what the policy shows).

    Raises InvalidToolDefinition when the table or a filter column is not
    there (it may be hidden by the policy, or gone since the last
    introspection).
    """
    table = snapshot.find_table(spec.table)
    if table is None or not table.columns:
        raise InvalidToolDefinition(f"unknown table {spec.table[:80]!r} for tool {name!r}")
    by_name = {c.name: c for c in table.columns}
    for wanted in spec.filters:
        if wanted not in by_name:
            raise InvalidToolDefinition(
                f"tool {name!r}: table {table.qualified_name!r} has no column {wanted[:64]!r}"
            )
    references = _references(table)
    indexed = {index[0] for index in table.indexes}
    keyed = (
        {c.name for c in table.columns if c.primary_key}
        | set(references)
        | indexed
        | set(spec.filters)
    )
    used: set[str] = set(_RESERVED)
    filters: list[_Filter] = []
    for column in table.columns:
        kind = column_kind(column.type)
        if column.name not in keyed or kind is None:
            continue
        about = _column_note(column, references.get(column.name))
        base = _param_name(column.name, used)
        filters.append(
            _Filter(Parameter(name=base, type=kind, required=False, description=about), column, "=")
        )
        if kind in ("integer", "number", "date", "timestamp"):
            for suffix, op, word in (("_min", ">=", "at least"), ("_max", "<=", "at most")):
                pname = _param_name(base + suffix, used)
                filters.append(
                    _Filter(
                        Parameter(
                            name=pname,
                            type=kind,
                            required=False,
                            description=f"Only rows whose {column.name} is {word} this value.",
                        ),
                        column,
                        op,
                    )
                )
    order_columns = {c.name: c for c in table.columns[:MAX_ORDER_COLUMNS]}
    limit_default = min(DEFAULT_LIMIT, max_rows)
    extra = (
        Parameter(
            name="order_by",
            type="string",
            required=False,
            allowed_values=list(order_columns),
            description="Column to sort by (default: the primary key).",
        ),
        Parameter(
            name="descending",
            type="boolean",
            default=False,
            description="Sort in descending order.",
        ),
        Parameter(
            name="limit",
            type="integer",
            min=1,
            max=max_rows,
            default=limit_default,
            description=f"Return at most this many rows (1 to {max_rows}).",
        ),
    )
    return FindTool(
        name=name,
        description=_description(table, filters, references),
        table=table,
        dialect=dialect,
        parameters=tuple(f.param for f in filters) + extra,
        filters=tuple(filters),
        order_columns=order_columns,
        default_order=tuple(c for c in table.columns if c.primary_key),
    )


def _references(table: Table) -> dict[str, str]:
    out: dict[str, str] = {}
    for fk in table.foreign_keys:
        for column, ref in zip(fk.columns, fk.ref_columns, strict=False):
            out.setdefault(column, f"{fk.ref_table}.{ref}")
    return out


def _param_name(column: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]+", "_", column).strip("_") or "column"
    if base[0].isdigit():
        base = "c_" + base
    base = base[:56]
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name.lower())
    return name


def _column_note(column: Column, reference: str | None) -> str:
    parts = [f"Only rows whose {column.name} equals this value."]
    if column.comment:
        parts.append(_sentence(column.comment))
    if column.primary_key:
        parts.append("Primary key.")
    if reference:
        parts.append(f"References {reference}.")
    return " ".join(parts)[:2000]


def _description(table: Table, filters: Sequence[_Filter], refs: Mapping[str, str]) -> str:
    parts = [f"Find rows of {table.kind} {table.qualified_name}."]
    if table.comment:
        parts.append(_sentence(table.comment))
    if filters:
        parts.append("Filters combine with AND; leave one out to not filter on it.")
    else:
        parts.append("No filters: returns the first rows.")
    if refs:
        links = ", ".join(f"{column} -> {ref}" for column, ref in sorted(refs.items()))
        parts.append(f"Foreign keys: {links}.")
    return " ".join(parts)[:4000]


def _sentence(text: str) -> str:
    text = " ".join(text.split())[:500]
    return text if text.endswith((".", "!", "?")) else text + "."
