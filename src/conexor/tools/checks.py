"""Checks a tool must pass before it is saved (each call checks again, with its real values).

A named tool's SQL must use exactly the parameters it declares, as
``:name`` markers, and the statement must pass the sandbox under the
database's current policy and schema — with sample values bound the way a
call binds them (an array as one placeholder per element). A generated
tool's table must exist and be visible, and its widest statement (every
filter given) must pass the sandbox too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from conexor.sandbox import JsonValue, check
from conexor.schema import Snapshot
from conexor.store import DatabaseRecord
from conexor.tools.binding import bind, find_markers
from conexor.tools.definition import ToolDefinition
from conexor.tools.errors import InvalidToolDefinition
from conexor.tools.generated import FindTool, GeneratedSpec, build_find_tool
from conexor.tools.params import Parameter
from conexor.tools.registry import policy_of

__all__ = ["check_definition", "check_generated"]


def check_definition(
    definition: ToolDefinition, database: DatabaseRecord, snapshot: Snapshot
) -> None:
    """Raise InvalidToolDefinition (naming the tool) unless ``definition`` may be saved."""
    label = f"tool {definition.name!r}"
    try:
        markers = find_markers(definition.sql, database.dialect)
    except InvalidToolDefinition as exc:
        raise InvalidToolDefinition(f"{label}: {exc.public}") from None
    used = {m.name for m in markers}
    declared = {p.name for p in definition.parameters}
    for marker in markers:
        if marker.name not in declared:
            raise InvalidToolDefinition(
                f"{label}: the SQL uses :{marker.name} but no parameter {marker.name!r} is declared"
            )
    for param in definition.parameters:
        if param.name not in used:
            raise InvalidToolDefinition(
                f"{label}: parameter {param.name!r} is declared but the SQL never uses"
                f" :{param.name}"
            )
    values = {p.name: _sample(p) for p in definition.parameters}
    _sandbox(label, bind(definition.sql, database.dialect, values).sql, database, snapshot)


def check_generated(
    name: str, spec: GeneratedSpec, database: DatabaseRecord, visible: Snapshot, snapshot: Snapshot
) -> FindTool:
    """The generated tool, or InvalidToolDefinition when it could not run."""
    tool = build_find_tool(name, spec, visible, database.dialect, policy_of(database).max_rows)
    values: dict[str, JsonValue | Sequence[JsonValue]] = {
        p.name: _sample(p) for p in tool.parameters
    }
    template = tool.template(values)
    _sandbox(f"tool {name!r}", bind(template, database.dialect, values).sql, database, snapshot)
    return tool


def _sandbox(label: str, sql: str, database: DatabaseRecord, snapshot: Snapshot) -> None:
    verdict = check(sql, database.dialect, policy_of(database), snapshot)
    if not verdict.allowed:
        raise InvalidToolDefinition(f"{label}: the sandbox refuses the SQL: {verdict.reason}")


def _sample(param: Parameter) -> JsonValue | list[JsonValue]:
    """A value of the right type (the placeholders, not the value, are what is checked)."""
    if param.default is not None:
        return param.default  # type: ignore[return-value]
    if param.allowed_values:
        one: JsonValue = param.allowed_values[0]
    else:
        samples: dict[str, JsonValue] = {
            "string": "x",
            "integer": 1,
            "number": 1.0,
            "boolean": True,
            "date": date(2000, 1, 1).isoformat(),
            "timestamp": "2000-01-01 00:00:00",
        }
        one = samples[param.element]
    return [one] if param.type == "array" else one
