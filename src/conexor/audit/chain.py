"""The hash chain: seal drafts into records and verify a trail.

Pure functions over values (no store, no clock). The record hash is::

    record_hash = SHA-256(DOMAIN || bytes.fromhex(prev_hash) || JCS(body))

where JCS is RFC 8785 canonical JSON and ``body`` is every record field except
``record_hash``. The domain string keeps these hashes from ever colliding with
another use of SHA-256 over similar bytes, and its version lets the format
change without ambiguity.

A chain alone proves order and integrity only relative to a trusted head: whoever
can rewrite the store can rewrite and relink the whole tail. A signed
checkpoint kept elsewhere (``conexor.audit.trail.verify_trail``) detects that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import fields
from typing import Any

import rfc8785

from conexor.audit.errors import ChainBroken, ChainDamage, MalformedRecord, Step
from conexor.audit.record import JSON, AuditDraft, AuditRecord, format_ts

__all__ = [
    "DOMAIN",
    "GENESIS",
    "body_encoder",
    "canonical_json",
    "canonical_text",
    "diagnose",
    "head",
    "record_hash",
    "seal",
    "self_consistent",
    "verify",
]

#: prev_hash of the first record of every organisation's trail.
GENESIS = "0" * 64
#: Domain separation prefix, hashed before everything else.
DOMAIN = b"conexor/audit/v1\x00"

# For float-free JSON whose integers lie within +-(2**53 - 1) (what records hold),
# Python's C encoder with sorted keys, no whitespace and no ASCII escaping writes
# exactly RFC 8785's bytes: the same string escapes (\b \t \n \f \r, \u00xx in
# lowercase for other controls, nothing else) and the same integer digits. The
# one difference is key order: Python sorts by code point, RFC 8785 by UTF-16
# code unit, which disagree only when keys mix characters above U+FFFF with
# characters in U+E000..U+FFFF. A params object holding any character from
# U+E000 up is therefore left to rfc8785. The record's own keys are fixed ASCII.
_json_encoder: Any = json.encoder
_c_make_encoder = _json_encoder.c_make_encoder
_escape: Callable[[str], str] = _json_encoder.encode_basestring
_encode_params: Callable[[object, int], Iterable[str]] | None = (
    None
    if _c_make_encoder is None
    else _c_make_encoder(
        None,  # no cycle markers: params are trees (deep-copied at construction)
        None,  # no default: anything not JSON raises
        _escape,
        None,  # no indent
        ":",
        ",",
        True,  # sort_keys
        False,  # skipkeys
        False,  # allow_nan
    )
)
_ORDER_SENSITIVE = re.compile("[\ue000-\U0010ffff]")
_CACHE_LIMIT = 4096
_WHO = ("api_key_id", "client_name", "client_version", "database")
_HOW = ("error_code", "mode", "model", "org_id", "outcome")


def canonical_json(value: Mapping[str, JSON]) -> bytes:
    """RFC 8785 canonical JSON of a float-free object; foreign errors become ours."""
    try:
        return rfc8785.dumps(dict(value))
    except rfc8785.CanonicalizationError:
        raise MalformedRecord("audit record body cannot be canonicalised") from None


def canonical_text(value: Mapping[str, JSON]) -> str:
    """RFC 8785 JSON of a float-free object as text, by the C encoder whenever that is exact.

    See the comment above for when Python's encoder writes RFC 8785's bytes;
    otherwise (a key order that differs in UTF-16, or a value it refuses) this
    is :func:`canonical_json`, which raises :class:`MalformedRecord` for
    anything that cannot be canonicalised.
    """
    if _encode_params is not None:
        try:
            text = "".join(_encode_params(value, 0))
        except (TypeError, ValueError):
            text = None
        if text is not None and (text.isascii() or _ORDER_SENSITIVE.search(text) is None):
            return text
    return canonical_json(value).decode("utf-8")


def _params_json(params: Mapping[str, JSON]) -> str:
    return canonical_text(params) if params else "{}"


def body_encoder() -> Callable[[AuditRecord], bytes]:
    """A function returning ``canonical_json(rec.body())`` for a record, fast.

    Verification hashes every record once, and the general RFC 8785 encoder
    costs tens of microseconds a record, so records get a fixed template: keys
    in RFC 8785 order, each value escaped exactly as RFC 8785 does (see the
    comment above). Repeated strings (org, user, client) are escaped once per
    encoder; the cache belongs to the returned function, not to the module.
    """
    cache: dict[str | None, str] = {}
    segments: dict[tuple[str | None, ...], str] = {}

    def s(v: str | None) -> str:
        out = cache.get(v)
        if out is None:
            out = "null" if v is None else _escape(v)
            if len(cache) < _CACHE_LIMIT:
                cache[v] = out
        return out

    def segment(names: tuple[str, ...], values: tuple[str | None, ...]) -> str:
        # Runs of string fields that repeat together (who, with which client) are
        # rendered once per distinct combination.
        out = segments.get(values)
        if out is None:
            out = ",".join(f'"{k}":{s(v)}' for k, v in zip(names, values, strict=True))
            if len(segments) < _CACHE_LIMIT:
                segments[values] = out
        return out

    def encode(r: AuditRecord) -> bytes:
        iso = r.ts.isoformat()
        if len(iso) == 32 and iso.endswith("+00:00"):
            ts = iso[:26] + "Z"
        elif len(iso) == 25 and iso.endswith("+00:00"):
            ts = iso[:19] + ".000000Z"
        else:  # pragma: no cover - records always hold UTC times
            ts = format_ts(r.ts)
        rc = r.row_count
        who = segment(_WHO, (r.api_key_id, r.client_name, r.client_version, r.database))
        how = segment(_HOW, (r.error_code, r.mode, r.model, r.org_id, r.outcome))
        text = (
            f'{{{who},"duration_us":{r.duration_us},{how},"params":{_params_json(r.params)},'
            f'"prev_hash":"{r.prev_hash}","query_hash":{s(r.query_hash)},'
            f'"row_count":{"null" if rc is None else rc},"seq":{r.seq},"tool":{s(r.tool)},'
            f'"ts":"{ts}","user":{s(r.user)},"user_id":{s(r.user_id)}}}'
        )
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedRecord("audit record body cannot be canonicalised") from None

    return encode


def record_hash(prev_hash: str, body: Mapping[str, JSON]) -> str:
    """SHA-256(DOMAIN || prev_hash bytes || RFC 8785 JSON(body)) as lowercase hex."""
    if len(prev_hash) != 64 or prev_hash != prev_hash.lower():
        raise MalformedRecord("prev_hash must be 64 lowercase hex digits")
    try:
        prev = bytes.fromhex(prev_hash)
    except ValueError:
        raise MalformedRecord("prev_hash must be 64 lowercase hex digits") from None
    return hashlib.sha256(DOMAIN + prev + canonical_json(body)).hexdigest()


def seal(draft: AuditDraft, *, seq: int, prev_hash: str) -> AuditRecord:
    """Give ``draft`` its place ``seq`` after the record whose hash is ``prev_hash``.

    The caller (the store) picks ``seq`` and ``prev_hash`` under a per-org lock
    so that concurrent writers never fork the chain.
    """
    values = {f.name: getattr(draft, f.name) for f in fields(draft)}
    # Built once with a placeholder so every field is validated before hashing;
    # the body does not include record_hash, so the placeholder never counts.
    unsealed = AuditRecord(**values, seq=seq, prev_hash=prev_hash, record_hash=GENESIS)
    digest = record_hash(prev_hash, unsealed.body())
    return AuditRecord(**values, seq=seq, prev_hash=prev_hash, record_hash=digest)


def self_consistent(rec: AuditRecord, encode: Callable[[AuditRecord], bytes] | None = None) -> bool:
    """Tell whether ``rec.record_hash`` recomputes from its own fields (links not checked)."""
    body = (encode or body_encoder())(rec)
    digest = hashlib.sha256(DOMAIN + bytes.fromhex(rec.prev_hash) + body).hexdigest()
    return hmac.compare_digest(digest, rec.record_hash)


def _consistent_as(rec: AuditRecord, seq: int) -> bool:
    """Would ``rec`` recompute if it still carried ``seq`` (was it renumbered)?"""
    if seq < 1:
        return False
    return self_consistent(dataclasses.replace(rec, seq=seq))


def diagnose(
    expected: int,
    step: Step,
    rec: AuditRecord,
    rest: Iterator[AuditRecord],
    before_prev: str | None,
) -> ChainBroken:
    """Name the likely damage at the first failing record, peeking at most one record ahead.

    ``expected`` is the seq that should be at this position and ``before_prev``
    the hash of the record two positions back (None when this is the first
    record of the pass). Only called once the trail is known to be broken.
    """
    damage: ChainDamage
    first_bad = expected
    if step == "record_hash":
        damage = "field_modified"
    elif step == "seq":
        if rec.seq < expected:
            # Its number is already taken: an extra copy or an inserted record.
            damage = "record_inserted"
        else:
            nxt = next(rest, None)
            swapped = nxt is not None and nxt.seq == expected
            damage = "records_swapped" if swapped else "record_deleted"
    else:
        nxt = next(rest, None)
        if nxt is not None and rec.prev_hash == nxt.record_hash:
            # It links to the record after it: the two changed places.
            damage = "records_swapped"
        elif self_consistent(rec):
            if before_prev is not None and rec.prev_hash == before_prev:
                # It links past the record before it: that one does not belong.
                damage, first_bad = "record_inserted", expected - 1
            elif before_prev is not None:
                # It links to a record that is no longer there: the one before
                # it was replaced (edited and its hash recomputed).
                damage, first_bad = "field_modified", expected - 1
            else:
                damage = "record_deleted"
        elif _consistent_as(rec, rec.seq + 1):
            # Renumbered down after the records before it were removed.
            damage = "record_deleted"
        elif _consistent_as(rec, rec.seq - 1):
            # Renumbered up to make room for a record inserted before it.
            damage, first_bad = "record_inserted", expected - 1
        else:
            damage = "field_modified"
    return ChainBroken(expected, step, damage, first_bad=first_bad)


def verify(
    records: Iterable[AuditRecord], *, start_seq: int = 1, start_prev: str = GENESIS
) -> None:
    """Return None if the trail is intact; raise :class:`ChainBroken` at the first bad record.

    ``start_seq``/``start_prev`` let a trail be verified from a trusted point
    (a checkpoint) instead of from the genesis. Truncation of the tail is not
    visible here: ``verify_trail`` with a saved checkpoint sees it.
    """
    expected = start_seq
    prev = start_prev
    before: str | None = None
    encode = body_encoder()
    it = iter(records)
    for rec in it:
        # (1) seq is gap-free: the record sits where its number says.
        if rec.seq != expected:
            raise diagnose(expected, "seq", rec, it, before)
        # (2) prev_hash links to the previous record_hash (1).
        if not hmac.compare_digest(rec.prev_hash, prev):
            raise diagnose(expected, "prev_hash", rec, it, before)
        # (3) record_hash recomputes from prev_hash (2) and the body.
        if not self_consistent(rec, encode):
            raise diagnose(expected, "record_hash", rec, it, before)
        before = prev
        prev = rec.record_hash
        expected += 1


def head(
    records: Iterable[AuditRecord], *, start_seq: int = 1, start_prev: str = GENESIS
) -> tuple[int, str]:
    """The last record's ``(seq, record_hash)``, or ``(start_seq - 1, start_prev)`` if none.

    This does not verify; call :func:`verify` first when the records are untrusted.
    """
    last = (start_seq - 1, start_prev)
    for rec in records:
        last = (rec.seq, rec.record_hash)
    return last
