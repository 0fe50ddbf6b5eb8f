"""Turn driver values into values ``json.dumps`` accepts without loss or surprise.

Choices, so every client reads results the same way:

- ``None``, ``bool``, ``int`` and ``str`` pass through; finite ``float`` too.
- NaN and infinities become the strings ``"NaN"``, ``"Infinity"``,
  ``"-Infinity"`` (JSON has no literal for them).
- ``Decimal`` becomes its exact string (``"12.50"``), never a float.
- ``datetime``, ``date`` and ``time`` become ISO 8601 strings, keeping the
  offset when the value has one.
- ``timedelta`` becomes an ISO 8601 duration such as ``"P1DT1H2M3.5S"``
  (``"PT0S"`` when zero), with a leading ``-`` when negative. A string keeps
  microseconds exact, which a float of seconds would not for long intervals.
- ``UUID`` becomes its canonical string.
- ``bytes``, ``bytearray`` and ``memoryview`` become ``"base64:"`` followed by
  standard base64; the prefix tells a reader the text is not the value itself.
- ``dict`` (JSON/JSONB columns) and ``list``/``tuple`` (arrays) are converted
  recursively; dict keys become strings.
- Anything else (network addresses, ranges, enums, ...) becomes ``str(value)``.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeAlias, cast

__all__ = ["JsonValue", "json_safe", "json_safe_row"]

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"

_MICROS_PER_DAY = 86_400_000_000
_UNCHANGED = frozenset({str, int, bool, type(None)})


def json_safe(value: object) -> JsonValue:
    """Return ``value`` as a JSON-safe value, following the module's rules."""
    # Exact types first: a 1,000-row result with JSON columns is tens of
    # thousands of values, most of them plain strings, numbers and objects.
    kind = type(value)
    if kind in _UNCHANGED:
        return cast(JsonValue, value)
    if kind is dict:
        return {
            key if type(key) is str else str(key): json_safe(item)
            for key, item in cast(dict[object, object], value).items()
        }
    if kind is list:
        return [json_safe(item) for item in cast(list[object], value)]
    return _by_kind(value)


def _by_kind(value: object) -> JsonValue:
    """The general rules, for everything but exact str, int, bool, None, dict and list."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _iso_duration(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return str(value)


def json_safe_row(row: object) -> list[JsonValue]:
    """Convert one result row (any sequence of column values)."""
    assert isinstance(row, (list, tuple))
    return [json_safe(value) for value in row]


def _iso_duration(delta: dt.timedelta) -> str:
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    sign = "-" if micros < 0 else ""
    days, rest = divmod(abs(micros), _MICROS_PER_DAY)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if seconds or fraction:
        clock += f"{seconds}.{fraction:06d}".rstrip("0").rstrip(".") + "S"
    if clock:
        out += "T" + clock
    if out in ("P", "-P"):
        return "PT0S"
    return out
