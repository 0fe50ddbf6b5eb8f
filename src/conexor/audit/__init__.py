"""Tamper-evident audit trail: one record per tool call, hash-chained per organisation.

Pure logic only: the store persists records and checkpoints and calls these
functions; nothing here touches a file, socket or clock. See docs/audit.md for
the record format, the hash byte by byte, the Merkle tree, the checkpoint
format and the verify steps.
"""

from conexor.audit.cef import format_cef, write_cef
from conexor.audit.chain import DOMAIN, GENESIS, canonical_json, head, record_hash, seal, verify
from conexor.audit.checkpoint import (
    NO_PREVIOUS,
    ORIGIN_PREFIX,
    Checkpoint,
    NoteSignature,
    checkpoint_due,
    checkpoint_hash,
    origin_for,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from conexor.audit.errors import (
    AuditError,
    AuditWriteFailed,
    BadSignature,
    ChainBroken,
    ChainDamage,
    CheckpointDamage,
    CheckpointMismatch,
    InvalidProof,
    MalformedCheckpoint,
    MalformedRecord,
    Step,
    UnknownFormat,
)
from conexor.audit.export import (
    CSV_COLUMNS,
    FORMATS,
    Format,
    export,
    export_pages,
    read_csv,
    read_jsonl,
    record_from_dict,
    write_csv,
    write_jsonl,
)
from conexor.audit.filters import filter_records
from conexor.audit.lines import record_line
from conexor.audit.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from conexor.audit.notekey import (
    SignerKey,
    VerifierKey,
    generate_signer,
    parse_signer,
    parse_verifier,
)
from conexor.audit.ocsf import ocsf_event, write_ocsf
from conexor.audit.queryhash import new_query_hash_key, query_hash
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
from conexor.audit.syslog import format_syslog, octet_frame, write_syslog
from conexor.audit.trail import TrailReport, record_leaf, trail_root, verify_lines, verify_trail

__all__ = [
    "CSV_COLUMNS",
    "DOMAIN",
    "DRAFT_FIELDS",
    "FORMATS",
    "GENESIS",
    "JSON",
    "NO_PREVIOUS",
    "ORIGIN_PREFIX",
    "RECORD_FIELDS",
    "AuditDraft",
    "AuditError",
    "AuditRecord",
    "AuditWriteFailed",
    "BadSignature",
    "ChainBroken",
    "ChainDamage",
    "Checkpoint",
    "CheckpointDamage",
    "CheckpointMismatch",
    "CompactRange",
    "Format",
    "InvalidProof",
    "MalformedCheckpoint",
    "MalformedRecord",
    "Mode",
    "NoteSignature",
    "Outcome",
    "SignerKey",
    "Step",
    "TrailReport",
    "UnknownFormat",
    "VerifierKey",
    "canonical_json",
    "checkpoint_due",
    "checkpoint_hash",
    "consistency_proof",
    "export",
    "export_pages",
    "filter_records",
    "format_cef",
    "format_syslog",
    "format_ts",
    "generate_signer",
    "head",
    "inclusion_proof",
    "new_query_hash_key",
    "normalize_params",
    "ocsf_event",
    "octet_frame",
    "origin_for",
    "parse_checkpoint",
    "parse_signer",
    "parse_ts",
    "parse_verifier",
    "query_hash",
    "read_csv",
    "read_jsonl",
    "record_from_dict",
    "record_hash",
    "record_leaf",
    "record_line",
    "seal",
    "sign_checkpoint",
    "trail_root",
    "verify",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_lines",
    "verify_trail",
    "write_cef",
    "write_csv",
    "write_jsonl",
    "write_ocsf",
    "write_syslog",
]
