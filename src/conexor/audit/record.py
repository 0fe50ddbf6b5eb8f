"""The audit record: what one tool call leaves behind, and nothing more.

A record holds who called which tool with which arguments, against which
database, and how it ended. It never holds result rows. The SQL text is a tool
argument, so it stays in ``params`` by contract; rows never reach this module.

Every value is a JSON value without floats, so that the canonical JSON that is
hashed (RFC 8785) is the same byte string in every language: durations are
integer microseconds and tool arguments go through :func:`normalize_params`.
Construction validates every field and raises :class:`MalformedRecord`, so an
invalid record cannot be sealed, exported or verified by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Literal, TypeAlias, get_args

from conexor.audit.errors import MalformedRecord

__all__ = [
    "DRAFT_FIELDS",
    "JSON",
    "MAX_INT",
    "MAX_PARAM_DEPTH",
    "MODES",
    "OUTCOMES",
    "RECORD_FIELDS",
    "AuditDraft",
    "AuditRecord",
    "Mode",
    "Outcome",
    "format_ts",
    "normalize_params",
    "parse_ts",
]

#: A JSON value as the audit trail stores it: no floats (see the module docstring).
JSON: TypeAlias = "str | int | bool | list[JSON] | dict[str, JSON] | None"

Outcome = Literal["ok", "rejected", "error"]
Mode = Literal["cloud", "agent"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
MODES: tuple[str, ...] = get_args(Mode)

#: Largest integer that every JSON parser reads exactly (I-JSON, RFC 7493).
MAX_INT = 2**53 - 1
#: Deeper tool arguments are refused rather than recorded (fail closed).
MAX_PARAM_DEPTH = 32

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TS = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{6})Z")


def format_ts(ts: datetime) -> str:
    """Render an aware datetime as RFC 3339 UTC with microseconds and ``Z``.

    Formatted by hand because ``strftime("%Y")`` does not pad years below 1000
    on every platform, and the hashed text must not vary.
    """
    u = ts.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T"
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"
    )


def parse_ts(text: str) -> datetime:
    """Parse exactly the form :func:`format_ts` writes; anything else is malformed."""
    m = _TS.fullmatch(text)
    if m is None:
        raise MalformedRecord("audit record field ts is not RFC 3339 UTC with microseconds")
    try:
        y, mo, d, h, mi, s, us = (int(g) for g in m.groups())
        return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)
    except ValueError:
        raise MalformedRecord("audit record field ts is not a valid time") from None


def _clean_str(s: str) -> str:
    # Lone surrogates (possible in JSON input) cannot be encoded as UTF-8, so
    # they could never be hashed; they are recorded as U+FFFD instead.
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return s


def _normalize(value: object, depth: int) -> JSON:
    if depth > MAX_PARAM_DEPTH:
        raise MalformedRecord("the tool parameters are nested too deeply to be recorded")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -MAX_INT <= value <= MAX_INT else str(value)
    if isinstance(value, str):
        return _clean_str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {_clean_str(str(k)): _normalize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v, depth + 1) for v in value]
    return _clean_str(str(value))


def normalize_params(args: Mapping[str, object]) -> dict[str, JSON]:
    """Turn tool arguments into a JSON object the audit trail can hash portably.

    Floats, integers beyond +-(2**53 - 1) and non-JSON values are recorded as
    their text; tuples become lists; lone surrogates become U+FFFD. Arguments
    nested deeper than :data:`MAX_PARAM_DEPTH` raise :class:`MalformedRecord`,
    so such a call is refused instead of run unrecorded.
    """
    out = _normalize(args, 0)
    assert isinstance(out, dict)
    return out


def _check_json(value: object, where: str, depth: int) -> JSON:
    """Return a deep copy of ``value`` if it is a float-free JSON value, else raise."""
    if depth > MAX_PARAM_DEPTH:
        raise MalformedRecord(f"audit record field {where} is nested too deeply")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise MalformedRecord(f"audit record field {where} holds an integer out of range")
        return value
    if isinstance(value, str):
        _check_utf8(value, where)
        return value
    if isinstance(value, list):
        return [_check_json(v, where, depth + 1) for v in value]
    if isinstance(value, dict):
        out: dict[str, JSON] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise MalformedRecord(f"audit record field {where} has a non-text key")
            _check_utf8(k, where)
            out[k] = _check_json(v, where, depth + 1)
        return out
    raise MalformedRecord(
        f"audit record field {where} holds a value that is not float-free JSON; "
        "pass tool arguments through normalize_params"
    )


def _check_utf8(s: str, where: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedRecord(f"audit record field {where} is not valid Unicode") from None


def _check_str(value: object, name: str, *, optional: bool, nonempty: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise MalformedRecord(f"audit record field {name} must be text")
    if nonempty and not value:
        raise MalformedRecord(f"audit record field {name} must not be empty")
    _check_utf8(value, name)


def _check_int(value: object, name: str, *, optional: bool, minimum: int) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecord(f"audit record field {name} must be an integer")
    if not minimum <= value <= MAX_INT:
        raise MalformedRecord(f"audit record field {name} is out of range")


def _check_hex(value: object, name: str, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or _HEX64.fullmatch(value) is None:
        raise MalformedRecord(f"audit record field {name} must be 64 lowercase hex digits")


@dataclass(frozen=True)
class _Fields:
    """The fields a tool call fills in; the chain adds seq and the hashes."""

    ts: datetime
    org_id: str
    user_id: str
    user: str
    api_key_id: str | None
    client_name: str | None
    client_version: str | None
    model: str | None
    tool: str
    params: dict[str, JSON]
    database: str | None
    mode: Mode | None
    outcome: Outcome
    error_code: str | None
    row_count: int | None
    query_hash: str | None
    duration_us: int

    def __post_init__(self) -> None:
        if not isinstance(self.ts, datetime) or self.ts.utcoffset() is None:
            raise MalformedRecord("audit record field ts must be a timezone-aware datetime")
        # Stored in UTC so that equal records compare and render equal.
        object.__setattr__(self, "ts", self.ts.astimezone(UTC))
        for name in ("org_id", "user_id", "user", "tool"):
            _check_str(getattr(self, name), name, optional=False, nonempty=True)
        for name in (
            "api_key_id",
            "client_name",
            "client_version",
            "model",
            "database",
            "error_code",
        ):
            _check_str(getattr(self, name), name, optional=True)
        if not isinstance(self.params, dict):
            raise MalformedRecord("audit record field params must be a JSON object")
        # A private deep copy: later changes to the caller's dict cannot alter
        # what gets hashed.
        object.__setattr__(self, "params", _check_json(self.params, "params", 0))
        if self.mode is not None and self.mode not in MODES:
            raise MalformedRecord("audit record field mode must be cloud, agent or null")
        if self.outcome not in OUTCOMES:
            raise MalformedRecord("audit record field outcome must be ok, rejected or error")
        _check_int(self.row_count, "row_count", optional=True, minimum=0)
        _check_hex(self.query_hash, "query_hash", optional=True)
        _check_int(self.duration_us, "duration_us", optional=False, minimum=0)

    def content(self) -> dict[str, JSON]:
        """The draft fields as JSON values (``ts`` rendered by :func:`format_ts`)."""
        out: dict[str, JSON] = {}
        for f in fields(_Fields):
            value = getattr(self, f.name)
            out[f.name] = format_ts(value) if f.name == "ts" else value
        # params was deep-copied at construction; copy again so callers of
        # content() cannot reach into the record.
        out["params"] = _check_json(self.params, "params", 0)
        return out


@dataclass(frozen=True)
class AuditDraft(_Fields):
    """Everything about one tool call, before the chain gives it a place.

    ``ts`` must be timezone-aware (it is stored in UTC). ``duration_us`` is the
    call's duration in integer microseconds. ``params`` must already be
    float-free JSON: build it with :func:`normalize_params`.
    """


@dataclass(frozen=True)
class AuditRecord(_Fields):
    """A sealed record: the draft plus its place in the per-org chain.

    ``seq`` starts at 1 and has no gaps per organisation. ``prev_hash`` is the
    previous record's ``record_hash`` (64 zeros for the first), and
    ``record_hash`` covers :meth:`body`.
    """

    seq: int
    prev_hash: str
    record_hash: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int(self.seq, "seq", optional=False, minimum=1)
        _check_hex(self.prev_hash, "prev_hash", optional=False)
        _check_hex(self.record_hash, "record_hash", optional=False)

    def body(self) -> dict[str, JSON]:
        """The hashed object: every field except ``record_hash``."""
        out = self.content()
        out["seq"] = self.seq
        out["prev_hash"] = self.prev_hash
        return out

    def to_dict(self) -> dict[str, JSON]:
        """The exported object: :meth:`body` plus ``record_hash``."""
        out = self.body()
        out["record_hash"] = self.record_hash
        return out

    def draft(self) -> AuditDraft:
        """The draft this record was sealed from."""
        return AuditDraft(**{f.name: getattr(self, f.name) for f in fields(_Fields)})


#: Field names of a draft, in contract order.
DRAFT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(_Fields))
#: Field names of a record, in contract order (the CSV column order).
RECORD_FIELDS: tuple[str, ...] = ("seq", *DRAFT_FIELDS, "prev_hash", "record_hash")
