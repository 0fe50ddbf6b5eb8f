"""Record lines: the canonical JSON Lines form of a record, checked and hashed without parsing.

A record line is ``JCS(record)`` (RFC 8785, ``record_hash`` included) and a
``\\n``: what ``write_jsonl`` writes and what ``GET /api/v1/audit/stream``
sends. Because ``record_hash`` sorts between ``query_hash`` and ``row_count``
and every other top-level value is a scalar, the hashed body of a canonical
line is the line with the member ``,"record_hash":"<64 hex>"`` cut out: the
bytes can be hashed as they arrived, without building a record and encoding it
again. That is what lets a million records verify in seconds.

The fast path accepts a line only when it is *provably* canonical and valid:

- the top-level members match a fixed grammar (keys in RFC 8785 order, text
  without escapes, integers in range, 64 lowercase hex digits, the ``ts``
  form with a real calendar date, the closed sets of ``mode`` and
  ``outcome``) and the line is valid UTF-8;
- ``params`` parses to float-free JSON within the depth and integer limits
  and re-encodes to exactly the same text with the canonical encoder of
  :mod:`conexor.audit.chain` (which writes RFC 8785's bytes when no key holds
  a character from U+E000 up; such params are not taken here).

Anything else, however harmless, goes to the strict parser
(:func:`conexor.audit.export.parse_jsonl_line`) and the general encoder, so
this module never decides that a line is invalid, and never accepts one the
strict parser would refuse: it only skips work for lines that are already in
the form the hash is defined over.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date
from json import scanner
from typing import Any, TypeAlias

from conexor.audit.chain import body_encoder, canonical_json, canonical_text
from conexor.audit.errors import MalformedRecord
from conexor.audit.export import parse_jsonl_line
from conexor.audit.record import JSON, MAX_INT, MAX_PARAM_DEPTH, AuditRecord

__all__ = ["Entry", "Source", "line_entries", "line_of", "record_line", "record_of"]


#: Where an entry came from, ``(line number, line)``: parsed again, strictly, only
#: when damage must be named.
Source: TypeAlias = tuple[int, bytes | str]
#: What verification needs of one record: ``seq``, ``prev_hash``, ``record_hash``,
#: the canonical body bytes (hashed), and its source.
Entry: TypeAlias = tuple[int, str, str, bytes, Source]


# Top-level text values without escapes (anything needing one takes the strict path).
_TEXT = rb'"[^"\\\x00-\x1f]+"'
_OPT_TEXT = rb'(?:null|"[^"\\\x00-\x1f]*")'
# Up to 15 digits is always below 2**53 - 1; longer numbers take the strict path.
_COUNT = rb"(?:0|[1-9][0-9]{0,14})"
_HEX = rb"[0-9a-f]{64}"
_HEAD = re.compile(
    rb'\{"api_key_id":' + _OPT_TEXT + rb',"client_name":' + _OPT_TEXT
    + rb',"client_version":' + _OPT_TEXT + rb',"database":' + _OPT_TEXT
    + rb',"duration_us":' + _COUNT + rb',"error_code":' + _OPT_TEXT
    + rb',"mode":(?:null|"cloud"|"agent"),"model":' + _OPT_TEXT + rb',"org_id":' + _TEXT
    + rb',"outcome":"(?:ok|rejected|error)"'
)  # fmt: skip
_TAIL = re.compile(
    rb',"prev_hash":"(' + _HEX + rb')","query_hash":(?:null|"' + _HEX + rb'")'
    + rb'(,"record_hash":"(' + _HEX + rb')")'
    + rb',"row_count":(?:null|' + _COUNT + rb'),"seq":([1-9][0-9]{0,14}),"tool":' + _TEXT
    + rb',"ts":"([0-9]{4}-[0-9]{2}-[0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]'
    + rb'\.[0-9]{6}Z","user":' + _TEXT + rb',"user_id":' + _TEXT + rb"\}"
)  # fmt: skip
_PARAMS_KEY = b',"params":'
_PARAMS_AT = len(_PARAMS_KEY)
_PREV_KEY = b',"prev_hash":"'
_ORDER_SENSITIVE = re.compile("[\ue000-\U0010ffff]")
_scan: Any = scanner.c_make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]
_CACHE_LIMIT = 4096


def _plain(value: object, depth: int) -> bool:
    """Is ``value`` float-free JSON within the limits ``AuditRecord`` enforces on params?"""
    if depth > MAX_PARAM_DEPTH:
        return False
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return -MAX_INT <= value <= MAX_INT  # type: ignore[operator]
    if t is dict:
        return all(_plain(v, depth + 1) for v in value.values())  # type: ignore[attr-defined]
    if t is list:
        return all(_plain(v, depth + 1) for v in value)  # type: ignore[attr-defined]
    return False


def _params_ok(raw: bytes) -> bool:
    """Is ``raw`` a params object exactly as the canonical encoder writes it?"""
    try:
        text = raw.decode("utf-8")
        value, end = _scan(text, 0)
    except (ValueError, StopIteration, RecursionError):
        return False
    if end != len(text) or type(value) is not dict or not _plain(value, 0):
        return False
    if not text.isascii() and _ORDER_SENSITIVE.search(text) is not None:
        return False
    return canonical_text(value) == text


def _date_ok(text: bytes) -> bool:
    try:
        date(int(text[:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return False
    return True


def line_entries(lines: Iterable[bytes | str]) -> Iterator[Entry]:
    """Entries of JSON Lines records, in order; blank lines are skipped.

    Canonical lines take the fast path; every other line is parsed strictly
    and its body encoded by the general encoder, so the result (and any
    :class:`MalformedRecord`, naming the line number) is the same as with
    ``read_jsonl``.
    """
    encode = body_encoder()
    # Params texts and dates already checked, bounded (most repeat across records).
    params_seen: dict[bytes, bool] = {b"{}": True}
    dates_seen: dict[bytes, bool] = {}
    head_match = _HEAD.fullmatch
    tail_match = _TAIL.fullmatch
    for number, item in enumerate(lines, start=1):
        source = (number, item)
        try:
            line = item if isinstance(item, bytes) else item.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the strict parser names it
            line = b""
        stop = len(line) - 1 if line.endswith(b"\n") else len(line)
        # The fast path; any doubt falls through to the strict parser below.
        start = line.find(_PARAMS_KEY)
        end = line.rfind(_PREV_KEY)
        head = head_match(line, 0, start) if 0 < start < end else None
        tail = tail_match(line, end, stop) if head is not None else None
        if tail is not None and (line.isascii() or _utf8(line)):
            raw = line[start + _PARAMS_AT : end]
            ok = params_seen.get(raw)
            if ok is None:
                ok = _params_ok(raw)
                if len(params_seen) < _CACHE_LIMIT:
                    params_seen[raw] = ok
            day = tail.group(5)
            real = dates_seen.get(day)
            if real is None:
                real = _date_ok(day)
                if len(dates_seen) < _CACHE_LIMIT:
                    dates_seen[day] = real
            if ok and real:
                cut, cut_end = tail.span(2)
                yield (
                    int(tail.group(4)),
                    tail.group(1).decode("ascii"),
                    tail.group(3).decode("ascii"),
                    line[:cut] + line[cut_end:stop],
                    source,
                )
                continue
        if item.strip():
            rec = parse_jsonl_line(item, number)
            yield (rec.seq, rec.prev_hash, rec.record_hash, encode(rec), source)


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def record_of(source: Source) -> AuditRecord:
    """The full record an entry came from (strict; used to name damage)."""
    return parse_jsonl_line(source[1], source[0])


def record_line(rec: AuditRecord) -> bytes:
    """The record's line: RFC 8785 JSON of every field, ``record_hash`` included, and ``\\n``."""
    return canonical_json(rec.to_dict()) + b"\n"


def line_of(obj: dict[str, JSON]) -> bytes:
    """A stored record object (``record_hash`` included) as one line, canonical when it can be.

    For a server relaying what its store holds: the values are kept exactly,
    and a value that cannot be canonical JSON (a float, a lone surrogate) is
    still written, so that the verifier, not the relay, rejects it.
    """
    try:
        return canonical_text(obj).encode("utf-8") + b"\n"
    except (MalformedRecord, UnicodeEncodeError, TypeError, ValueError):
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return text.encode("ascii") + b"\n"
