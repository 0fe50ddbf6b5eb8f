"""Typed parameters of named tools: their declaration, JSON Schema, and checking a call's values.

A parameter is declared once (in a tools file or by the generator) and used
twice: as the JSON Schema the AI client sees in ``tools/list``, and to check
and normalise the values of each call before they are bound. The checks are
ours rather than jsonschema's so that every refusal is one line naming the
argument and the rule, never echoing the value.

Values come out JSON-safe (text, numbers, booleans, None): dates and
timestamps become canonical ISO text, which every supported database
compares correctly against its own date types, and which can travel to an
on-premise agent unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conexor.sandbox import Dialect, JsonValue
from conexor.tools.arguments import InvalidArguments

__all__ = [
    "MAX_ITEMS",
    "Parameter",
    "ScalarType",
    "check_arguments",
    "parameter_schema",
]

ScalarType = Literal["string", "integer", "number", "boolean", "date", "timestamp"]
Scalar = str | int | float | bool

#: Longest text value a parameter accepts unless it says otherwise.
DEFAULT_MAX_LENGTH: Final = 10_000
#: Most values an array parameter (an IN list) accepts.
MAX_ITEMS: Final = 1000
DEFAULT_MAX_ITEMS: Final = 100
_INT64: Final = 2**63 - 1
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ORDERED: Final = frozenset({"integer", "number", "date", "timestamp"})


class Parameter(BaseModel):
    """One typed parameter of a named tool.

    ``type: array`` takes a list of ``items`` values (for ``IN (:ids)``);
    ``allowed_values``, ``min``, ``max`` and ``max_length`` then apply to each
    element. A parameter with a ``default``, or ``required: false``, may be
    omitted; an omitted optional parameter without a default is NULL.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
    type: Literal["string", "integer", "number", "boolean", "date", "timestamp", "array"]
    description: str = Field(default="", max_length=2000)
    items: ScalarType | None = None
    required: bool | None = None
    default: Scalar | list[Scalar] | None = None
    allowed_values: list[Scalar] | None = Field(default=None, min_length=1, max_length=500)
    min: int | float | str | None = None
    max: int | float | str | None = None
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    max_items: int | None = Field(default=None, ge=1, le=MAX_ITEMS)

    @model_validator(mode="after")
    def _consistent(self) -> Parameter:
        if self.type == "array" and self.items is None:
            raise ValueError("an array parameter needs items (the element type)")
        if self.type != "array" and (self.items is not None or self.max_items is not None):
            raise ValueError("items and max_items apply to array parameters only")
        try:
            self._check_declaration()
        except InvalidArguments as exc:
            raise ValueError(exc.public) from None
        return self

    def _check_declaration(self) -> None:
        element = self.element
        if (self.min is not None or self.max is not None) and element not in _ORDERED:
            raise ValueError("min and max apply to integer, number, date and timestamp only")
        if self.max_length is not None and element != "string":
            raise ValueError("max_length applies to string parameters only")
        if self.required is True and self.default is not None:
            raise ValueError("a required parameter cannot have a default")
        for bound in ("min", "max"):
            value = getattr(self, bound)
            if value is not None:
                _scalar(self, value, element, "utc", check_range=False, what=bound)
        for value in self.allowed_values or ():
            _scalar(self, value, element, "utc", check_range=True, what="allowed_values")
        if self.default is not None:
            check_value(self, self.default, "utc", what="default")

    @property
    def element(self) -> ScalarType:
        """The type of one value (the element type for arrays)."""
        return self.items if self.type == "array" and self.items else self.type  # type: ignore[return-value]

    @property
    def optional(self) -> bool:
        """Whether a call may omit it."""
        return self.required is False or self.default is not None


def parameter_schema(param: Parameter) -> dict[str, Any]:
    """The JSON Schema an AI client sees for ``param``."""
    element = _element_schema(param)
    if param.type == "array":
        schema: dict[str, Any] = {
            "type": "array",
            "items": element,
            "minItems": 1,
            "maxItems": param.max_items or DEFAULT_MAX_ITEMS,
        }
    else:
        schema = element
    if param.description:
        schema["description"] = param.description
    if param.default is not None:
        schema["default"] = param.default
    return schema


def _element_schema(param: Parameter) -> dict[str, Any]:
    kind = param.element
    schema: dict[str, Any]
    if kind in ("string", "date", "timestamp"):
        schema = {"type": "string"}
        if kind == "date":
            schema["format"] = "date"
        elif kind == "timestamp":
            schema["format"] = "date-time"
        else:
            schema["maxLength"] = param.max_length or DEFAULT_MAX_LENGTH
    elif kind == "integer":
        schema = {"type": "integer"}
    elif kind == "number":
        schema = {"type": "number"}
    else:
        schema = {"type": "boolean"}
    if param.allowed_values is not None:
        schema["enum"] = list(param.allowed_values)
    if param.min is not None:
        schema["minimum" if kind in ("integer", "number") else "formatMinimum"] = param.min
    if param.max is not None:
        schema["maximum" if kind in ("integer", "number") else "formatMaximum"] = param.max
    return schema


def check_arguments(
    params: tuple[Parameter, ...], args: Mapping[str, Any], dialect: Dialect
) -> dict[str, JsonValue | list[JsonValue]]:
    """The checked, normalised value of every parameter; InvalidArguments names the first problem.

    Unknown arguments are refused; omitted optional parameters take their
    default (or None).
    """
    known = {p.name for p in params}
    extra = sorted(name for name in args if name not in known)
    if extra:
        shown = ", ".join(repr(e[:40]) for e in extra[:3])
        raise InvalidArguments(
            f"unknown argument {shown}; allowed: {', '.join(sorted(known)) or 'none'}"
        )
    values: dict[str, JsonValue | list[JsonValue]] = {}
    for param in params:
        if param.name not in args or args[param.name] is None:
            if not param.optional:
                raise InvalidArguments(f"missing required argument {param.name!r}")
            default = param.default
            values[param.name] = (
                None if default is None else check_value(param, default, dialect, what="default")
            )
            continue
        values[param.name] = check_value(param, args[param.name], dialect)
    return values


def check_value(
    param: Parameter, value: object, dialect: Dialect | Literal["utc"], *, what: str = "argument"
) -> JsonValue | list[JsonValue]:
    """One parameter's value, checked and normalised (a list for arrays)."""
    if param.type != "array":
        return _scalar(param, value, param.element, dialect, check_range=True, what=what)
    limit = param.max_items or DEFAULT_MAX_ITEMS
    if not isinstance(value, list) or not 1 <= len(value) <= limit:
        raise InvalidArguments(
            f"{what} {param.name!r} must be a list of 1 to {limit} {_plural(param.element)}"
        )
    return [_scalar(param, v, param.element, dialect, check_range=True, what=what) for v in value]


def _scalar(
    param: Parameter,
    value: object,
    kind: ScalarType,
    dialect: Dialect | Literal["utc"],
    *,
    check_range: bool,
    what: str,
) -> JsonValue:
    name = param.name
    out: JsonValue
    ordered: int | float | date | datetime | None = None
    if kind == "string":
        limit = param.max_length or DEFAULT_MAX_LENGTH
        if not isinstance(value, str) or len(value) > limit:
            raise InvalidArguments(f"{what} {name!r} must be text of at most {limit} characters")
        if "\x00" in value:
            raise InvalidArguments(f"{what} {name!r} must not contain NUL characters")
        out = value
    elif kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _INT64:
            raise InvalidArguments(f"{what} {name!r} must be an integer{_range(param)}")
        out = ordered = value
    elif kind == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or abs(value) > 1e300
        ):
            raise InvalidArguments(f"{what} {name!r} must be a number{_range(param)}")
        out = ordered = value
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidArguments(f"{what} {name!r} must be true or false")
        out = value
    elif kind == "date":
        if not isinstance(value, str) or not _DATE.match(value):
            raise InvalidArguments(f"{what} {name!r} must be a date like 2024-01-31")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidArguments(f"{what} {name!r} must be a date like 2024-01-31") from None
        out, ordered = day.isoformat(), day
    else:
        moment = _timestamp(value)
        if moment is None:
            raise InvalidArguments(f"{what} {name!r} must be a timestamp like 2024-01-31T09:30:00Z")
        ordered = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        out = _timestamp_text(moment, dialect)
    if check_range:
        _in_range(param, kind, ordered, out, what)
    return out


def _in_range(
    param: Parameter,
    kind: ScalarType,
    ordered: int | float | date | datetime | None,
    out: JsonValue,
    what: str,
) -> None:
    if param.allowed_values is not None and what != "allowed_values":
        allowed = [
            _scalar(param, v, kind, "utc", check_range=False, what="allowed_values")
            for v in param.allowed_values
        ]
        normal = out
        if kind == "timestamp" and isinstance(ordered, datetime):
            normal = _timestamp_text(ordered, "utc")
        if normal not in allowed:
            shown = ", ".join(str(v) for v in param.allowed_values[:20])
            more = ", …" if len(param.allowed_values) > 20 else ""
            raise InvalidArguments(f"{what} {param.name!r} must be one of: {shown}{more}")
    if ordered is None:
        return
    low = _bound(param, param.min, kind)
    high = _bound(param, param.max, kind)
    if (low is not None and ordered < low) or (high is not None and ordered > high):  # type: ignore[operator]
        noun = {"integer": "an integer", "number": "a number"}.get(kind, f"a {kind}")
        raise InvalidArguments(f"{what} {param.name!r} must be {noun}{_range(param)}")


def _bound(
    param: Parameter, bound: int | float | str | None, kind: ScalarType
) -> int | float | date | datetime | None:
    if bound is None:
        return None
    if kind == "date":
        if not isinstance(bound, str) or not _DATE.match(bound):
            raise InvalidArguments(f"min and max of {param.name!r} must be dates like 2024-01-31")
        return date.fromisoformat(bound)
    if kind == "timestamp":
        moment = _timestamp(bound)
        if moment is None:
            raise InvalidArguments(f"min and max of {param.name!r} must be ISO timestamps")
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(bound, bool) or not isinstance(bound, int | float):
        raise InvalidArguments(f"min and max of {param.name!r} must be numbers")
    return bound


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not 10 <= len(value) <= 40 or not _DATE.match(value[:10]):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _timestamp_text(moment: datetime, dialect: Dialect | Literal["utc"]) -> str:
    """PostgreSQL keeps the offset; MySQL and SQLite get naive UTC (DATETIME has no zone)."""
    if moment.tzinfo is not None and dialect != "postgresql":
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ")


def _range(param: Parameter) -> str:
    if param.min is not None and param.max is not None:
        return f" from {param.min} to {param.max}"
    if param.min is not None:
        return f" of at least {param.min}"
    if param.max is not None:
        return f" of at most {param.max}"
    return ""


def _plural(kind: ScalarType) -> str:
    return {"string": "texts", "integer": "integers", "number": "numbers"}.get(
        kind, f"{kind} values"
    )
