"""The hash chain: seal drafts into records and verify a trail.

Pure functions over values (no store, no clock). The record hash is::

    record_hash = SHA-256(DOMAIN || bytes.fromhex(prev_hash) || JCS(body))

where JCS is RFC 8785 canonical JSON and ``body`` is every record field except
``record_hash``. The domain string keeps these hashes from ever colliding with
another use of SHA-256 over similar bytes, and its version lets the format
change without ambiguity.

A chain alone proves order and integrity only relative to a trusted head: whoever
can rewrite the store can rewrite and relink the whole tail. Comparing
:func:`head` with a checkpoint kept elsewhere is what detects that.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import fields

import rfc8785

from conexor.audit.errors import ChainBroken, MalformedRecord
from conexor.audit.record import JSON, AuditDraft, AuditRecord

__all__ = ["DOMAIN", "GENESIS", "canonical_json", "head", "record_hash", "seal", "verify"]

#: prev_hash of the first record of every organisation's trail.
GENESIS = "0" * 64
#: Domain separation prefix, hashed before everything else.
DOMAIN = b"conexor/audit/v1\x00"


def canonical_json(value: Mapping[str, JSON]) -> bytes:
    """RFC 8785 canonical JSON of a float-free object; foreign errors become ours."""
    try:
        return rfc8785.dumps(dict(value))
    except rfc8785.CanonicalizationError:
        raise MalformedRecord("audit record body cannot be canonicalised") from None


def record_hash(prev_hash: str, body: Mapping[str, JSON]) -> str:
    """SHA-256(DOMAIN || prev_hash bytes || RFC 8785 JSON(body)) as lowercase hex."""
    if len(prev_hash) != 64 or prev_hash != prev_hash.lower():
        raise MalformedRecord("prev_hash must be 64 lowercase hex digits")
    try:
        prev = bytes.fromhex(prev_hash)
    except ValueError:
        raise MalformedRecord("prev_hash must be 64 lowercase hex digits") from None
    h = hashlib.sha256()
    h.update(DOMAIN)
    h.update(prev)
    h.update(canonical_json(body))
    return h.hexdigest()


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


def verify(
    records: Iterable[AuditRecord], *, start_seq: int = 1, start_prev: str = GENESIS
) -> None:
    """Return None if the trail is intact; raise :class:`ChainBroken` at the first bad record.

    ``start_seq``/``start_prev`` let a trail be verified from a trusted point
    (a checkpoint) instead of from the genesis. Truncation of the tail is not
    visible here: compare :func:`head` with a checkpoint for that.
    """
    expected = start_seq
    prev = start_prev
    for rec in records:
        # (1) seq is gap-free: the record sits where its number says.
        if rec.seq != expected:
            raise ChainBroken(expected, "seq")
        # (2) prev_hash links to the previous record_hash (1).
        if not hmac.compare_digest(rec.prev_hash, prev):
            raise ChainBroken(expected, "prev_hash")
        # (3) record_hash recomputes from prev_hash (2) and the body.
        if not hmac.compare_digest(record_hash(rec.prev_hash, rec.body()), rec.record_hash):
            raise ChainBroken(expected, "record_hash")
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
