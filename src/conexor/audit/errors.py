"""Errors of the audit package.

::

    ConexorError
     └── AuditError          audit_error
          ├── ChainBroken        audit_chain_broken      verify found the first bad record
          ├── AuditWriteFailed   audit_write_failed      fail closed: the call was not run
          ├── MalformedRecord    audit_malformed_record  a record does not fit the format
          └── UnknownFormat      audit_unknown_format    export format not supported

Messages name records, fields and steps, never values: a record's parameters
may hold SQL text the caller would not want echoed into a log line.
"""

from __future__ import annotations

from typing import Literal

from conexor.errors import ConexorError

__all__ = [
    "AuditError",
    "AuditWriteFailed",
    "ChainBroken",
    "MalformedRecord",
    "Step",
    "UnknownFormat",
]

#: The verify steps, in the order they are checked (docs/audit.md numbers them).
Step = Literal["seq", "prev_hash", "record_hash"]


class AuditError(ConexorError):
    """Base class of every audit failure."""

    code = "audit_error"
    default_public = "the audit trail could not be processed"


class ChainBroken(AuditError):
    """The trail is not intact; ``seq`` is the first bad position, ``step`` the failing check.

    ``seq`` is the sequence number the record at that position should carry, so a
    deleted record 3 is reported as "broken at record 3 (seq)".
    """

    code = "audit_chain_broken"
    default_public = "the audit trail is broken"

    def __init__(self, seq: int, step: Step) -> None:
        self.seq = seq
        self.step = step
        super().__init__(f"audit trail broken at record {seq} ({step})")


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
    default_public = "unknown audit export format; use jsonl or csv"
