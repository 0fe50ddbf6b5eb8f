"""Errors of the audit package.

::

    ConexorError
     └── AuditError            audit_error
          ├── ChainBroken          audit_chain_broken          first bad record found
          ├── CheckpointMismatch   audit_checkpoint_mismatch   trail disagrees with a checkpoint
          ├── BadSignature         audit_bad_signature         checkpoint not signed by the key
          ├── MalformedCheckpoint  audit_malformed_checkpoint  checkpoint or key text unparsable
          ├── InvalidProof         audit_invalid_proof         a Merkle proof does not verify
          ├── AuditWriteFailed     audit_write_failed          fail closed: the call was not run
          ├── MalformedRecord      audit_malformed_record      a record does not fit the format
          └── UnknownFormat        audit_unknown_format        export format not supported

Messages name records, sizes, fields and steps, never values: a record's
parameters may hold SQL text the caller would not want echoed into a log line.
"""

from __future__ import annotations

from typing import Literal

from conexor.errors import ConexorError

__all__ = [
    "AuditError",
    "AuditWriteFailed",
    "BadSignature",
    "ChainBroken",
    "ChainDamage",
    "CheckpointDamage",
    "CheckpointMismatch",
    "InvalidProof",
    "MalformedCheckpoint",
    "MalformedRecord",
    "Step",
    "UnknownFormat",
]

#: The verify steps, in the order they are checked (docs/audit.md numbers them).
Step = Literal["seq", "prev_hash", "record_hash"]

#: What most likely happened at the first bad record, as far as one pass can tell.
ChainDamage = Literal["field_modified", "record_deleted", "record_inserted", "records_swapped"]

#: How a trail disagrees with a saved checkpoint (or checkpoints with each other).
CheckpointDamage = Literal["tail_truncated", "trail_rewritten", "split_view", "wrong_log"]


class AuditError(ConexorError):
    """Base class of every audit failure."""

    code = "audit_error"
    default_public = "the audit trail could not be processed"


class ChainBroken(AuditError):
    """The trail is not intact; ``seq`` is the first bad position, ``step`` the failing check.

    ``seq`` is the sequence number the record at that position should carry, so a
    deleted record 3 is reported as "broken at record 3 (seq)". ``damage``, when
    known, names the likely cause; ``first_bad`` is the earliest record the damage
    touches (one less than ``seq`` when the record before it was inserted).
    """

    code = "audit_chain_broken"
    default_public = "the audit trail is broken"

    def __init__(
        self,
        seq: int,
        step: Step,
        damage: ChainDamage | None = None,
        *,
        first_bad: int | None = None,
    ) -> None:
        self.seq = seq
        self.step = step
        self.damage = damage
        self.first_bad = seq if first_bad is None else first_bad
        message = f"audit trail broken at record {seq} ({step})"
        if damage is not None:
            message += ": " + damage.replace("_", " ")
            if self.first_bad != seq:
                message += f" at {self.first_bad}"
        super().__init__(message)


class CheckpointMismatch(AuditError):
    """The trail is not the one a saved checkpoint describes, or two checkpoints disagree.

    ``damage`` names the kind: ``tail_truncated`` (the trail ends below a
    checkpoint's size), ``trail_rewritten`` (the Merkle root at the checkpoint's
    size differs), ``split_view`` (two signed checkpoints of one size with
    different roots) or ``wrong_log`` (a checkpoint of another origin). ``size``
    is the checkpoint's size; ``seq`` the first record that may be bad.
    """

    code = "audit_checkpoint_mismatch"
    default_public = "the audit trail does not match a saved checkpoint"

    def __init__(self, damage: CheckpointDamage, *, size: int, seq: int, message: str) -> None:
        self.damage = damage
        self.size = size
        self.seq = seq
        super().__init__(message)


class BadSignature(AuditError):
    """A checkpoint carries no valid signature by the pinned key (forged or altered)."""

    code = "audit_bad_signature"
    default_public = "the checkpoint is not validly signed by the audit signing key"


class MalformedCheckpoint(AuditError):
    """Checkpoint or key text that does not fit the format; the message names the part."""

    code = "audit_malformed_checkpoint"
    default_public = "the checkpoint is malformed"


class InvalidProof(AuditError):
    """An inclusion or consistency proof does not lead to the claimed root."""

    code = "audit_invalid_proof"
    default_public = "the Merkle proof does not verify"


class AuditWriteFailed(AuditError):
    """The record could not be made durable, so the tool call must not run (fail closed)."""

    code = "audit_write_failed"
    default_public = "the audit record could not be written; the call was not run"


class MalformedRecord(AuditError):
    """A draft, record or exported line does not fit the audit record format."""

    code = "audit_malformed_record"
    default_public = "the audit record is malformed"


class UnknownFormat(AuditError):
    """An export format that this version does not write."""

    code = "audit_unknown_format"
    default_public = "unknown audit export format; use jsonl, csv, cef, syslog or ocsf"
