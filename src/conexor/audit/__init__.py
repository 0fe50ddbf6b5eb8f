"""Tamper-evident audit trail: one record per tool call, hash-chained per organisation.

Pure logic only: the store persists records and calls these functions. See
docs/audit.md for the record format, the hash byte by byte and the verify steps.
"""

from conexor.audit.chain import DOMAIN, GENESIS, canonical_json, head, record_hash, seal, verify
from conexor.audit.errors import (
    AuditError,
    AuditWriteFailed,
    ChainBroken,
    MalformedRecord,
    Step,
    UnknownFormat,
)
from conexor.audit.export import (
    CSV_COLUMNS,
    FORMATS,
    Format,
    export,
    read_jsonl,
    record_from_dict,
    write_csv,
    write_jsonl,
)
from conexor.audit.queryhash import query_hash
from conexor.audit.record import (
    DRAFT_FIELDS,
    JSON,
    RECORD_FIELDS,
    AuditDraft,
    AuditRecord,
    Mode,
    Outcome,
    format_ts,
    normalize_params,
    parse_ts,
)

__all__ = [
    "CSV_COLUMNS",
    "DOMAIN",
    "DRAFT_FIELDS",
    "FORMATS",
    "GENESIS",
    "JSON",
    "RECORD_FIELDS",
    "AuditDraft",
    "AuditError",
    "AuditRecord",
    "AuditWriteFailed",
    "ChainBroken",
    "Format",
    "MalformedRecord",
    "Mode",
    "Outcome",
    "Step",
    "UnknownFormat",
    "canonical_json",
    "export",
    "format_ts",
    "head",
    "normalize_params",
    "parse_ts",
    "query_hash",
    "read_jsonl",
    "record_from_dict",
    "record_hash",
    "seal",
    "verify",
    "write_csv",
    "write_jsonl",
]
