"""Signed checkpoints: a log's size and Merkle root, signed so they can be kept elsewhere.

The text follows C2SP tlog-checkpoint inside a C2SP signed note::

    conexor.io/audit/org_7Qx2                          origin (one line)
    1000                                               size, decimal
    Z2H3Y0...=                                         root, standard base64 of 32 bytes
    time 2026-11-29T09:11:32.250000Z                   extension: issue time, UTC
    previous 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=   extension: previous checkpoint hash
                                                       (blank line)
    — conexor.io/audit Yb3n...                         signature line(s)

Every line ends in ``\\n``. The signed message is the text up to and including
the newline before the blank line. A signature line is an em dash (U+2014), a
space, the key name, a space, and base64 of the 4-byte key id followed by the
64-byte Ed25519 signature. ``previous`` is :func:`checkpoint_hash` of the
checkpoint issued before this one (32 zero bytes for the first), which chains
checkpoints like records.

:func:`parse_checkpoint` reads untrusted text and raises only
:class:`MalformedCheckpoint`; :func:`verify_checkpoint` raises
:class:`BadSignature`. Neither trusts anything the text says about keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from conexor.audit.errors import BadSignature, MalformedCheckpoint, MalformedRecord
from conexor.audit.notekey import SignerKey, VerifierKey
from conexor.audit.record import format_ts, parse_ts
from conexor.crypto import signing

__all__ = [
    "MAX_CHECKPOINT_BYTES",
    "NO_PREVIOUS",
    "ORIGIN_PREFIX",
    "Checkpoint",
    "NoteSignature",
    "checkpoint_due",
    "checkpoint_hash",
    "origin_for",
    "parse_checkpoint",
    "sign_checkpoint",
    "verify_checkpoint",
]

#: ``previous`` of the first checkpoint of a log.
NO_PREVIOUS = bytes(32)
#: Default origin prefix; a deployment may use its own host name instead.
ORIGIN_PREFIX = "conexor.io/audit/"
#: Checkpoints are small; anything larger is refused before parsing.
MAX_CHECKPOINT_BYTES = 16 * 1024
_MAX_SIGNATURES = 64
_MAX_SIZE = 2**63 - 1
_DASH = "\u2014 "
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
# Printable text without control characters; origins and key names are one line each.
_LINE = re.compile(r"[^\x00-\x1f\x7f]+")
_SIG_LINE = re.compile(r"\u2014 ([!-*,-~]+) ([A-Za-z0-9+/=]+)")


def origin_for(org_id: str, prefix: str = ORIGIN_PREFIX) -> str:
    """The checkpoint origin of one organisation's trail, e.g. ``conexor.io/audit/org_7Qx2``."""
    origin = prefix + org_id
    if _LINE.fullmatch(origin) is None or origin != origin.strip():
        raise MalformedCheckpoint("the origin must be one printable line")
    return origin


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, size: int | None, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise MalformedCheckpoint(f"checkpoint {what} is not base64") from None
    if _b64(data) != text:
        raise MalformedCheckpoint(f"checkpoint {what} is not canonical base64")
    if size is not None and len(data) != size:
        raise MalformedCheckpoint(f"checkpoint {what} must be {size} bytes")
    return data


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the signer's name, its 4-byte key id and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        """The signature line, newline included."""
        return f"{_DASH}{self.name} {_b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class Checkpoint:
    """A log state: ``size`` records whose Merkle root is ``root``, as of ``time``.

    Construct signed checkpoints with :func:`sign_checkpoint` or
    :func:`parse_checkpoint`; a ``Checkpoint`` by itself proves nothing until
    :func:`verify_checkpoint` accepts it.
    """

    origin: str
    size: int
    root: bytes
    time: datetime
    previous: bytes = NO_PREVIOUS
    signatures: tuple[NoteSignature, ...] = ()

    def __post_init__(self) -> None:
        if (
            not isinstance(self.origin, str)
            or _LINE.fullmatch(self.origin) is None
            or self.origin != self.origin.strip()
        ):
            raise MalformedCheckpoint("checkpoint origin must be one printable line")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise MalformedCheckpoint("checkpoint size must be an integer")
        if not 0 <= self.size <= _MAX_SIZE:
            raise MalformedCheckpoint("checkpoint size is out of range")
        for name in ("root", "previous"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 32:
                raise MalformedCheckpoint(f"checkpoint {name} must be 32 bytes")
        if not isinstance(self.time, datetime) or self.time.utcoffset() is None:
            raise MalformedCheckpoint("checkpoint time must be timezone-aware")
        object.__setattr__(self, "time", self.time.astimezone(UTC))

    def body(self) -> str:
        """The signed note text: origin, size, root and the two extension lines."""
        return (
            f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"
            f"time {format_ts(self.time)}\nprevious {_b64(self.previous)}\n"
        )

    def to_text(self) -> str:
        """The full checkpoint: body, blank line, signature lines."""
        return self.body() + "\n" + "".join(s.to_line() for s in self.signatures)

    def hash(self) -> bytes:
        """:func:`checkpoint_hash` of this checkpoint."""
        return checkpoint_hash(self)


def checkpoint_hash(cp: Checkpoint) -> bytes:
    """SHA-256 of the checkpoint's signed body: what the next checkpoint's ``previous`` holds.

    Signatures are left out so that adding a cosignature does not change the chain.
    """
    return hashlib.sha256(cp.body().encode("utf-8")).digest()


def sign_checkpoint(
    key: SignerKey,
    *,
    origin: str,
    size: int,
    root: bytes,
    time: datetime,
    previous: bytes = NO_PREVIOUS,
) -> Checkpoint:
    """A checkpoint of ``size`` records with Merkle ``root``, signed by ``key``.

    ``time`` is passed in (rule: the clock is the caller's), ``previous`` is
    :func:`checkpoint_hash` of the log's previous checkpoint.
    """
    unsigned = Checkpoint(origin=origin, size=size, root=root, time=time, previous=previous)
    vk = key.verifier()
    sig = NoteSignature(vk.name, vk.key_id, key.sign(unsigned.body().encode("utf-8")))
    return Checkpoint(
        origin=origin,
        size=size,
        root=root,
        time=unsigned.time,
        previous=previous,
        signatures=(sig,),
    )


def _parse_signatures(text: str) -> tuple[NoteSignature, ...]:
    if not text:
        raise MalformedCheckpoint("checkpoint has no signature line")
    lines = text.split("\n")
    if lines[-1] != "":
        raise MalformedCheckpoint("checkpoint must end with a newline")
    lines = lines[:-1]
    if len(lines) > _MAX_SIGNATURES:
        raise MalformedCheckpoint("checkpoint has too many signature lines")
    out: list[NoteSignature] = []
    for line in lines:
        m = _SIG_LINE.fullmatch(line)
        if m is None:
            raise MalformedCheckpoint("checkpoint signature line is malformed")
        blob = _unb64(m.group(2), None, "signature")
        if len(blob) < 5:
            raise MalformedCheckpoint("checkpoint signature is too short")
        out.append(NoteSignature(m.group(1), blob[:4], blob[4:]))
    return tuple(out)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a signed checkpoint strictly; raises only :class:`MalformedCheckpoint`.

    This checks the form, not the signature: call :func:`verify_checkpoint`.
    """
    if not isinstance(text, str):
        raise MalformedCheckpoint("checkpoint must be text")
    if len(text) > MAX_CHECKPOINT_BYTES:
        raise MalformedCheckpoint("checkpoint is too large")
    if "\r" in text or any(ch < " " and ch != "\n" for ch in text) or "\x7f" in text:
        raise MalformedCheckpoint("checkpoint holds control characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedCheckpoint("checkpoint is not valid Unicode") from None
    cut = text.find("\n\n")
    if cut < 0:
        raise MalformedCheckpoint("checkpoint lacks the blank line before its signatures")
    body, sigs = text[: cut + 1], text[cut + 2 :]
    lines = body.split("\n")[:-1]
    if len(lines) != 5:
        raise MalformedCheckpoint("checkpoint body must have origin, size, root, time, previous")
    origin, size_text, root_text, time_line, prev_line = lines
    if _SIZE.fullmatch(size_text) is None:
        raise MalformedCheckpoint("checkpoint size is not a decimal number")
    size = int(size_text)
    root = _unb64(root_text, 32, "root")
    if not time_line.startswith("time "):
        raise MalformedCheckpoint("checkpoint line 4 must be the time extension")
    try:
        time = parse_ts(time_line[5:])
    except MalformedRecord:
        raise MalformedCheckpoint("checkpoint time is not RFC 3339 UTC") from None
    if not prev_line.startswith("previous "):
        raise MalformedCheckpoint("checkpoint line 5 must be the previous extension")
    previous = _unb64(prev_line[9:], 32, "previous hash")
    cp = Checkpoint(
        origin=origin,
        size=size,
        root=root,
        time=time,
        previous=previous,
        signatures=_parse_signatures(sigs),
    )
    # Only one spelling per checkpoint: what we would write is what was read.
    if cp.body() != body:
        raise MalformedCheckpoint("checkpoint is not in canonical form")
    return cp


def verify_checkpoint(cp: Checkpoint, key: VerifierKey) -> None:
    """Return None if ``cp`` carries a valid signature by ``key``; else raise BadSignature.

    (1) find the signature lines with the key's name and key id; (2) check the
    Ed25519 signature over the body. Other signers' lines are ignored.
    """
    message = cp.body().encode("utf-8")
    kid = key.key_id
    for sig in cp.signatures:
        if sig.name == key.name and hmac.compare_digest(sig.key_id, kid):
            if signing.is_valid_signature(key.public_key, message, sig.signature):
                return
            raise BadSignature(
                f"checkpoint of size {cp.size} has an invalid signature by key {key.name}"
            )
    raise BadSignature(f"checkpoint of size {cp.size} is not signed by key {key.name}")


def checkpoint_due(
    last: Checkpoint | None,
    *,
    size: int,
    now: datetime,
    every_records: int,
    every_seconds: float,
    heartbeat_seconds: float,
) -> bool:
    """Tell whether the server should issue a checkpoint now (a pure scheduling decision).

    Due when there is none yet, when ``every_records`` records arrived since the
    last one, when records arrived and ``every_seconds`` passed, or, with no new
    records, when ``heartbeat_seconds`` passed (an idle heartbeat shows the log
    is alive and has not been cut).
    """
    if last is None:
        return True
    grown = size - last.size
    age = (now - last.time).total_seconds()
    if grown >= every_records:
        return True
    if grown > 0:
        return age >= every_seconds
    return age >= heartbeat_seconds
