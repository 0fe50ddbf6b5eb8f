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
- ``params`` is canonical: a flat object (keys of printable ASCII, scalar
  values) whose text matches a fixed grammar and whose keys are strictly
  increasing; or any other object that parses to float-free JSON within the
  depth and integer limits and re-encodes to exactly the same text with the
  canonical encoder of :mod:`conexor.audit.chain` (which writes RFC 8785's
  bytes when no key holds a character from U+E000 up; such params are not
  taken here).

Anything else, however harmless, goes to the strict parser
(:func:`conexor.audit.export.parse_jsonl_line`) and the general encoder, so
this module never decides that a line is invalid, and never accepts one the
strict parser would refuse: it only skips work for lines that are already in
the form the hash is defined over.

:class:`ChainRun` is the verifier's inner loop over such lines: it takes a line
only when the fast path would and the record also continues the chain (next
seq, previous hash, its own hash recomputed), working on the bytes alone, and
hands every other line back to the general pass.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from datetime import date
from json import scanner
from typing import Any, TypeAlias

from conexor.audit.chain import DOMAIN, body_encoder, canonical_json, canonical_text
from conexor.audit.errors import MalformedRecord
from conexor.audit.export import parse_jsonl_line
from conexor.audit.record import JSON, MAX_INT, MAX_PARAM_DEPTH, AuditRecord

__all__ = [
    "ChainRun",
    "Entry",
    "Source",
    "line_entries",
    "line_of",
    "record_line",
    "record_of",
]


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
_HEX_ONLY = re.compile(_HEX)
_HEAD = re.compile(
    rb'\{"api_key_id":' + _OPT_TEXT + rb',"client_name":' + _OPT_TEXT
    + rb',"client_version":' + _OPT_TEXT + rb',"database":' + _OPT_TEXT
    + rb',"duration_us":' + _COUNT + rb',"error_code":' + _OPT_TEXT
    + rb',"mode":(?:null|"cloud"|"agent"),"model":' + _OPT_TEXT + rb',"org_id":' + _TEXT
    + rb',"outcome":"(?:ok|rejected|error)"'
)  # fmt: skip


def _after_prev(record_digits: bytes) -> bytes:
    """The grammar of a line after the prev_hash digits, for record_hash digits so written.

    Groups: 1 the record_hash member (cut out of the hashed body), 2 its
    digits, 3 seq, 4 the date of ts.
    """
    return (
        rb'","query_hash":(?:null|"' + _HEX + rb'")'
        + rb'(,"record_hash":"(' + record_digits + rb')")'
        + rb',"row_count":(?:null|' + _COUNT + rb'),"seq":([1-9][0-9]{0,14}),"tool":' + _TEXT
        + rb',"ts":"([0-9]{4}-[0-9]{2}-[0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]'
        + rb'\.[0-9]{6}Z","user":' + _TEXT + rb',"user_id":' + _TEXT + rb"\}"
    )  # fmt: skip


# From the prev_hash member on; the groups shift by one (1 is prev_hash's digits).
_TAIL = re.compile(rb',"prev_hash":"(' + _HEX + rb')' + _after_prev(_HEX))  # fmt: skip
# For ChainRun, which compares the prev_hash digits with the previous record's and
# the record_hash digits with the hex of the hash it computed (so both are
# lowercase hex when a line is taken), any 64 characters but quotes will do there.
_REST = re.compile(_after_prev(rb'[^"]{64}'))
_PARAMS_KEY = b',"params":'
_PARAMS_AT = len(_PARAMS_KEY)
_PREV_KEY = b',"prev_hash":"'
# Where the prev_hash digits start and end, from the start of its member.
_PREV_AT = len(_PREV_KEY)
_PREV_END = _PREV_AT + 64
# Where the record_hash digits start and end, from the start of its member.
_HASH_AT = len(b',"record_hash":"')
_HASH_END = _HASH_AT + 64
_ORDER_SENSITIVE = re.compile("[\ue000-\U0010ffff]")
_CACHE_LIMIT = 4096


# A flat params object in canonical form, but for the order of its keys. Keys
# are printable ASCII without escapes (their byte order is RFC 8785's UTF-16
# order); values are text without escapes (RFC 8785 and the encoder leave every
# other character as it is), integers in canonical form (no "-0", no leading
# zeros, at most 15 digits so within +-(2**53 - 1)), true, false or null. The
# repetition is possessive: the grammar never needs to give a member back.
_FLAT_MEMBER = rb'"[ !#-\[\]-~]*":(?:"[^"\\\x00-\x1f]*"|0|-?[1-9][0-9]{0,14}|true|false|null)'
_FLAT = re.compile(rb"\{(?:" + _FLAT_MEMBER + rb"(?:," + _FLAT_MEMBER + rb")*+)?+\}")
# In a text matching _FLAT (no quote inside a key or a value), each match is one
# member, in order, and the group is its key.
_FLAT_KEY = re.compile(rb'"([^"]*)":(?:"[^"]*"|[^,}]*)')


def _refuse(_text: str) -> object:
    raise ValueError("not float-free JSON")


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -MAX_INT <= value <= MAX_INT:
        raise ValueError("integer out of range")
    return value


# A scanner that refuses what params may not hold (floats, NaN and infinities,
# integers out of range) while parsing, so only the depth is left to check.
_scan: Any = scanner.c_make_scanner(  # type: ignore[attr-defined]
    json.JSONDecoder(parse_float=_refuse, parse_int=_bounded_int, parse_constant=_refuse)
)


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
    """Is ``raw`` a params object exactly as the canonical encoder writes it?

    A flat object (scalar values, keys of printable ASCII) is judged by its
    text alone: it is canonical exactly when it matches :data:`_FLAT` and its
    keys are strictly increasing. Anything else is parsed, by a scanner that
    refuses floats and out-of-range integers, and re-encoded. Nesting too deep
    takes at least ``MAX_PARAM_DEPTH + 1`` brackets, so the walk over the
    value (:func:`_plain`) runs only for texts with that many.
    """
    if _FLAT.fullmatch(raw) is not None:
        keys = _FLAT_KEY.findall(raw)
        return len(keys) < 2 or keys == sorted(set(keys))
    try:
        text = raw.decode("utf-8")
        value, end = _scan(text, 0)
    except (ValueError, StopIteration, RecursionError):
        return False
    if end != len(text) or type(value) is not dict:
        return False
    if raw.count(b"{") + raw.count(b"[") > MAX_PARAM_DEPTH and not _plain(value, 0):
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


def line_entries(lines: Iterable[bytes | str], *, first_line: int = 1) -> Iterator[Entry]:
    """Entries of JSON Lines records, in order; blank lines are skipped.

    Canonical lines take the fast path; every other line is parsed strictly
    and its body encoded by the general encoder, so the result (and any
    :class:`MalformedRecord`, naming the line number) is the same as with
    ``read_jsonl``. ``first_line`` is the number of the first line given.
    """
    encode = body_encoder()
    # Params texts and dates already checked, bounded (most repeat across records).
    params_seen: dict[bytes, bool] = {b"{}": True}
    dates_seen: dict[bytes, bool] = {}
    head_match = _HEAD.fullmatch
    tail_match = _TAIL.fullmatch
    for number, item in enumerate(lines, start=first_line):
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


class ChainRun:
    """Follows a chain over canonical lines for as long as every line provably continues it.

    This is the verifier's inner loop, for the common case of an intact trail
    streamed as canonical lines. A line is taken only when :func:`line_entries`
    would take it on its fast path *and* the record is the next one of the
    chain: its seq is ``seq``, its prev_hash is ``prev``, and its record_hash
    is the SHA-256 of its body. Each check is made on the bytes where they lie:
    the prev_hash digits are compared with the previous record's, the
    record_hash digits with the hex of the hash just computed (so both are
    lowercase hex without a grammar for them), and no entry, string or record
    is built. The first line that is not taken, for whatever reason, is handed
    back untouched: the general pass then decides about it, with the same
    answer it would give without this loop.

    ``number`` counts the lines read; ``prev`` and ``before`` are the hashes
    (hex, bytes) of the last record taken and of the one before it; ``digest``
    is ``prev`` as 32 bytes.
    """

    __slots__ = ("_dates", "_params", "before", "digest", "number", "prev", "seq")

    def __init__(self, *, seq: int, prev: str, number: int = 0) -> None:
        self.number = number
        self.seq = seq
        self.prev, self.digest = b"", b""
        self.before: bytes | None = None
        self.resume(seq=seq, prev=prev, before=None)
        # Params texts and dates already checked, bounded (most repeat across records).
        self._params: dict[bytes, bool] = {b"{}": True}
        self._dates: dict[bytes, bool] = {}

    def resume(self, *, seq: int, prev: str, before: str | None) -> None:
        """Continue from where the general pass left the chain: next ``seq``, after ``prev``."""
        self.seq = seq
        prev_bytes = prev.encode("ascii", "replace")
        if _HEX_ONLY.fullmatch(prev_bytes) is None:
            # Not a hash this loop can compare: every line goes to the general pass.
            self.prev, self.digest = b"", b""
        else:
            self.prev, self.digest = prev_bytes, binascii.unhexlify(prev_bytes)
        self.before = None if before is None else before.encode("ascii", "replace")

    def run(
        self, lines: Iterator[bytes | str], last: int, leaves: list[bytes]
    ) -> bytes | str | None:
        """Take lines up to and including the record ``last``; append each record's hash.

        Returns the first line not taken (already counted in ``number``), or
        None when the record ``last`` was taken or the lines ran out (``seq``
        tells which). Blank lines are skipped.
        """
        head_match = _HEAD.fullmatch
        rest_match = _REST.fullmatch
        params_seen, dates_seen = self._params, self._dates
        sha256 = hashlib.sha256
        hexlify = binascii.hexlify
        append = leaves.append
        number, seq, prev, digest, before = (
            self.number, self.seq, self.prev, self.digest, self.before
        )  # fmt: skip
        refused: bytes | str | None = None
        for line in lines:
            number += 1
            if type(line) is bytes:
                stop = len(line) - 1 if line.endswith(b"\n") else len(line)
                start = line.find(_PARAMS_KEY)
                end = line.rfind(_PREV_KEY)
                tail = (
                    rest_match(line, end + _PREV_END, stop)
                    if 0 < start < end
                    and line[end + _PREV_AT : end + _PREV_END] == prev
                    and head_match(line, 0, start) is not None
                    else None
                )
                if (
                    tail is not None
                    and int(tail.group(3)) == seq
                    and (line.isascii() or _utf8(line))
                ):
                    raw = line[start + _PARAMS_AT : end]
                    ok = params_seen.get(raw)
                    if ok is None:
                        ok = _params_ok(raw)
                        if len(params_seen) < _CACHE_LIMIT:
                            params_seen[raw] = ok
                    day = tail.group(4)
                    real = dates_seen.get(day)
                    if real is None:
                        real = _date_ok(day)
                        if len(dates_seen) < _CACHE_LIMIT:
                            dates_seen[day] = real
                    cut = tail.start(1)
                    found = line[cut + _HASH_AT : cut + _HASH_END]
                    if ok and real:
                        # The body is the line without its record_hash member.
                        h = sha256(DOMAIN + digest + line[:cut])
                        h.update(line[cut + _HASH_END + 1 : stop])
                        d = h.digest()
                        if hexlify(d) == found:
                            append(d)
                            before, prev, digest = prev, found, d
                            seq += 1
                            if seq > last:
                                break
                            continue
            if line.strip():
                refused = line
                break
        self.number, self.seq, self.prev, self.digest, self.before = (
            number, seq, prev, digest, before
        )  # fmt: skip
        return refused


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
