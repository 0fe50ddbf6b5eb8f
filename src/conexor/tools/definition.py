"""Named tool definitions and the YAML tools file they come from.

A tools file maps tool names to definitions, plus optional toolsets::

    tools:
      orders_by_country:
        description: Orders shipped to one country, newest first.
        database: shop
        sql: SELECT id, total FROM orders WHERE country = :country LIMIT :limit
        parameters:
          - {name: country, type: string, allowed_values: [DE, FR, US]}
          - {name: limit, type: integer, min: 1, max: 100, default: 20}
    toolsets:
      sales: [orders_by_country]

It is read with ``yaml.safe_load`` (no tags, no objects) after refusing
aliases (a few bytes of aliases can expand to gigabytes once walked), and
validated with pydantic. Every error is one line naming the tool and the
field: ``tool 'orders_by_country': parameters.1.max: ...``. docs/tools.md
describes the format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from conexor.sandbox import MAX_ROWS_LIMIT, MAX_SQL_BYTES
from conexor.tools.catalog import BUILTIN_TOOLS
from conexor.tools.errors import InvalidToolDefinition
from conexor.tools.params import Parameter

__all__ = [
    "BUILTIN_TOOLSET",
    "MAX_FILE_BYTES",
    "NAME_PATTERN",
    "ToolDefinition",
    "first_error",
    "load_tools_file",
    "parse_definition",
    "read_yaml",
    "read_yaml_documents",
]

NAME_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
#: The toolset that holds the built-in tools, for keys limited to toolsets.
BUILTIN_TOOLSET: Final = "builtin"
MAX_FILE_BYTES: Final = 1024 * 1024
_BUILTIN_NAMES: Final = frozenset(t.name for t in BUILTIN_TOOLS)


class ToolDefinition(BaseModel):
    """One named tool: a read-only statement with typed ``:name`` parameters on one database."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    description: str = Field(min_length=1, max_length=4000)
    database: str = Field(min_length=1, max_length=64)
    sql: str = Field(min_length=1, max_length=MAX_SQL_BYTES)
    parameters: tuple[Parameter, ...] = ()
    toolsets: tuple[str, ...] = ()
    max_rows: int | None = Field(default=None, ge=1, le=MAX_ROWS_LIMIT)

    @model_validator(mode="after")
    def _consistent(self) -> ToolDefinition:
        if self.name in _BUILTIN_NAMES:
            raise ValueError(f"{self.name} is a built-in tool; choose another name")
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError("two parameters have the same name")
        for toolset in self.toolsets:
            if not _valid_name(toolset):
                raise ValueError("toolset names are letters, digits, _ and -, at most 64")
            if toolset == BUILTIN_TOOLSET:
                raise ValueError(f"toolset {BUILTIN_TOOLSET!r} is reserved for the built-in tools")
        object.__setattr__(self, "toolsets", tuple(sorted(set(self.toolsets))))
        return self


def load_tools_file(text: str) -> list[ToolDefinition]:
    """The definitions of a tools file; InvalidToolDefinition names the first problem."""
    data = read_yaml(text, "tools file")
    if not isinstance(data, Mapping):
        raise InvalidToolDefinition("the tools file must be a mapping with a 'tools' key")
    unknown = sorted(str(k) for k in data if k not in ("tools", "toolsets"))
    if unknown:
        hint = ""
        if "sources" in unknown or "kind" in unknown:
            hint = " (a Toolbox file? use: conexor tools import --from toolbox)"
        raise InvalidToolDefinition(f"the tools file has an unknown key {unknown[0]!r}{hint}")
    tools = data.get("tools")
    if not isinstance(tools, Mapping) or not tools:
        raise InvalidToolDefinition("the tools file must map tool names under 'tools'")
    toolsets = data.get("toolsets") or {}
    if not isinstance(toolsets, Mapping):
        raise InvalidToolDefinition("'toolsets' must map toolset names to lists of tool names")
    member_of: dict[str, list[str]] = {}
    for toolset, members in toolsets.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise InvalidToolDefinition(f"toolset {str(toolset)[:64]!r} must be a list of names")
        for member in members:
            if member not in tools:
                raise InvalidToolDefinition(
                    f"toolset {str(toolset)[:64]!r} names an unknown tool {member[:64]!r}"
                )
            member_of.setdefault(member, []).append(str(toolset))
    out = []
    for name, body in tools.items():
        if not isinstance(body, Mapping):
            raise InvalidToolDefinition(f"tool {str(name)[:64]!r} must be a mapping")
        entry = dict(body)
        entry["name"] = name
        entry["toolsets"] = [*entry.get("toolsets", []), *member_of.get(str(name), [])]
        out.append(parse_definition(entry))
    return out


def parse_definition(entry: Mapping[str, Any]) -> ToolDefinition:
    """One definition from a JSON/YAML object; InvalidToolDefinition names the tool and field."""
    try:
        return ToolDefinition.model_validate(entry)
    except ValidationError as exc:
        name = entry.get("name")
        label = f"tool {name[:64]!r}" if isinstance(name, str) else "a tool"
        raise InvalidToolDefinition(f"{label}: {first_error(exc)}") from None


def first_error(exc: ValidationError) -> str:
    """``field.path: message`` of the first validation error, without the input value."""
    error = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in error["loc"]) or "definition"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"[:300]


def read_yaml(text: str, what: str) -> Any:
    """``yaml.safe_load`` of untrusted text, refusing oversized input and aliases."""
    documents = read_yaml_documents(text, what)
    if len(documents) > 1:
        raise InvalidToolDefinition(f"the {what} holds several YAML documents; expected one")
    return documents[0] if documents else None


def read_yaml_documents(text: str, what: str) -> list[Any]:
    """Every document of a (multi-document) YAML text, read like :func:`read_yaml`."""
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise InvalidToolDefinition(f"the {what} is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise InvalidToolDefinition(f"the {what} uses YAML aliases (*name), not supported")
        return list(yaml.safe_load_all(text))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise InvalidToolDefinition(f"the {what} is not valid YAML (line {line})") from None
    except yaml.YAMLError:
        raise InvalidToolDefinition(f"the {what} is not valid YAML") from None


def _valid_name(name: str) -> bool:
    return re.fullmatch(NAME_PATTERN, name) is not None
