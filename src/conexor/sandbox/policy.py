"""The per-database policy: what a query may read, and the caps it runs under.

A :class:`Policy` is a value: it is stored with the database, edited by the
CLI and REST API, passed to :func:`conexor.sandbox.check` and
:func:`conexor.sandbox.run_query`, and validated when it is built, so a bad
policy fails when it is saved rather than on the next query. The default
policy restricts nothing beyond the sandbox's own rules and the default caps.

Names are matched the way the stored schema snapshot spells them: bare for
the default schema (``orders``), ``schema.table`` otherwise. Messages name the
field that is wrong, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Final

from conexor.sandbox.errors import InvalidLimits, InvalidPolicy
from conexor.sandbox.limits import MAX_BYTES_LIMIT, MAX_ROWS_LIMIT, MAX_TIMEOUT_S, Limits

__all__ = ["Policy"]

MAX_ENTRIES: Final = 10_000
MAX_NAME: Final = 1_024

_FUNCTION_NAME = re.compile(r"^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?$")


def _names(value: object, field: str, parts: tuple[int, ...]) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidPolicy(f"policy field {field} must be a list of names")
    if len(value) > MAX_ENTRIES:
        raise InvalidPolicy(f"policy field {field} has more than {MAX_ENTRIES} entries")
    out: list[str] = []
    for item in value:
        if (
            not isinstance(item, str)
            or not item.strip()
            or item != item.strip()
            or len(item) > MAX_NAME
            or any(ord(c) < 32 for c in item)
        ):
            raise InvalidPolicy(f"policy field {field} must hold non-empty names")
        split = item.split(".")
        if len(split) not in parts or not all(split):
            raise InvalidPolicy(f"policy field {field} has a name of the wrong form")
        out.append(item)
    return tuple(dict.fromkeys(out))


def _int(value: object, field: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise InvalidPolicy(f"policy field {field} must be an integer from 1 to {high}")
    return value


@dataclass(frozen=True)
class Policy:
    """What queries on one database may read, and under which caps.

    - ``allowed_schemas``: schemas a query may read from (None: all).
    - ``allowed_tables``: tables and views a query may read (None: all),
      ``table`` in the default schema or ``schema.table``.
    - ``denied_columns``: ``table.column`` or ``schema.table.column``; a query
      that reads one, by name or through ``*``, is rejected.
    - ``extra_functions``: lower-case function names allowed on top of the
      built-in allow-list (``st_distance``, or ``public.st_distance``).
    - ``max_rows``, ``max_bytes``, ``timeout_s``: the caps; a caller may ask
      for fewer rows, never more.
    """

    allowed_schemas: tuple[str, ...] | None = None
    allowed_tables: tuple[str, ...] | None = None
    denied_columns: tuple[str, ...] = ()
    extra_functions: tuple[str, ...] = ()
    max_rows: int = 1000
    max_bytes: int = 5 * 1024 * 1024
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        # Lists are accepted and frozen into tuples, so the value stays hashable.
        if self.allowed_schemas is not None:
            object.__setattr__(
                self, "allowed_schemas", _names(self.allowed_schemas, "allowed_schemas", (1,))
            )
        if self.allowed_tables is not None:
            object.__setattr__(
                self, "allowed_tables", _names(self.allowed_tables, "allowed_tables", (1, 2))
            )
        object.__setattr__(
            self, "denied_columns", _names(self.denied_columns, "denied_columns", (2, 3))
        )
        extra = _names(self.extra_functions, "extra_functions", (1, 2))
        if not all(_FUNCTION_NAME.match(name) for name in extra):
            raise InvalidPolicy(
                "policy field extra_functions must hold lower-case names like st_distance"
            )
        object.__setattr__(self, "extra_functions", extra)
        _int(self.max_rows, "max_rows", MAX_ROWS_LIMIT)
        _int(self.max_bytes, "max_bytes", MAX_BYTES_LIMIT)
        if (
            isinstance(self.timeout_s, bool)
            or not isinstance(self.timeout_s, int | float)
            or not 0 < self.timeout_s <= MAX_TIMEOUT_S
        ):
            raise InvalidPolicy(
                f"policy field timeout_s must be above 0 and at most {MAX_TIMEOUT_S:g}"
            )
        object.__setattr__(self, "timeout_s", float(self.timeout_s))

    @property
    def restricts_relations(self) -> bool:
        """Whether the policy limits tables, schemas or columns (and so needs the schema)."""
        return (
            self.allowed_schemas is not None
            or self.allowed_tables is not None
            or bool(self.denied_columns)
        )

    def limits(self, max_rows: int | None = None) -> Limits:
        """The :class:`Limits` for one query; ``max_rows`` may lower the policy's cap only."""
        if max_rows is None:
            max_rows = self.max_rows
        elif isinstance(max_rows, bool) or not isinstance(max_rows, int):
            raise InvalidLimits("max_rows must be an integer")
        elif max_rows > self.max_rows:
            raise InvalidLimits(f"max_rows must be at most {self.max_rows} for this database")
        return Limits(max_rows=max_rows, timeout_s=self.timeout_s, max_bytes=self.max_bytes)

    def tightened_by(self, local: Policy) -> Policy:
        """This policy made at least as strict as ``local``; it never becomes looser.

        Used by the on-premise agent: the customer's local policy can narrow
        allowed schemas and tables, add denied columns, lower every cap, and
        narrow the extra functions (when it lists any), but nothing the
        server sends can widen what the local policy allows.
        """

        def narrow(
            mine: tuple[str, ...] | None, theirs: tuple[str, ...] | None
        ) -> tuple[str, ...] | None:
            if mine is None:
                return theirs
            if theirs is None:
                return mine
            return tuple(name for name in mine if name in theirs)

        extra = self.extra_functions
        if local.extra_functions:
            extra = tuple(name for name in extra if name in local.extra_functions)
        return Policy(
            allowed_schemas=narrow(self.allowed_schemas, local.allowed_schemas),
            allowed_tables=narrow(self.allowed_tables, local.allowed_tables),
            denied_columns=tuple(dict.fromkeys(self.denied_columns + local.denied_columns)),
            extra_functions=extra,
            max_rows=min(self.max_rows, local.max_rows),
            max_bytes=min(self.max_bytes, local.max_bytes),
            timeout_s=min(self.timeout_s, local.timeout_s),
        )

    def to_json(self) -> dict[str, object]:
        """A JSON object that :meth:`from_json` reads back to an equal policy."""
        return {
            "allowed_schemas": None if self.allowed_schemas is None else list(self.allowed_schemas),
            "allowed_tables": None if self.allowed_tables is None else list(self.allowed_tables),
            "denied_columns": list(self.denied_columns),
            "extra_functions": list(self.extra_functions),
            "max_rows": self.max_rows,
            "max_bytes": self.max_bytes,
            "timeout_s": self.timeout_s,
        }

    @classmethod
    def from_json(cls, d: object) -> Policy:
        """Parse an untrusted JSON object strictly; raise only :class:`InvalidPolicy`.

        Missing keys take their defaults; unknown keys and wrong types are errors.
        """
        if not isinstance(d, Mapping):
            raise InvalidPolicy("the database policy must be a JSON object")
        known = {f.name for f in fields(cls)}
        for key in d:
            if key not in known:
                raise InvalidPolicy("the database policy has an unknown field")
        for key in ("allowed_schemas", "allowed_tables", "denied_columns", "extra_functions"):
            value = d.get(key)
            optional = value is None and key.startswith("allowed_")
            if key in d and not optional and not isinstance(value, list):
                raise InvalidPolicy(f"policy field {key} must be a list of names")
        return cls(**{str(key): d[key] for key in d})
