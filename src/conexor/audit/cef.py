"""ArcSight Common Event Format (CEF) lines, one per record.

::

    CEF:0|conexor|conexor|1|query|query ok|3|rt=1795943492250 externalId=3 suser=ana@example.com ...

Escaping follows the CEF specification: in header fields a backslash becomes
``\\\\`` and a pipe ``\\|``; in extension values a backslash becomes ``\\\\``,
an equals sign ``\\=``, and line breaks ``\\n``/``\\r``. Header fields cannot
carry line breaks at all, so they are replaced by spaces. CEF is for SIEM
ingestion, not for verification: only the record hash is carried, not the
full chain (use JSON Lines to verify).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

import rfc8785

from conexor.audit.record import AuditRecord

__all__ = ["format_cef", "write_cef"]

_SEVERITY = {"ok": 3, "error": 5, "rejected": 6}
_HEADER = str.maketrans({"\\": "\\\\", "|": "\\|", "\n": " ", "\r": " "})
_VALUE = str.maketrans({"\\": "\\\\", "=": "\\=", "\n": "\\n", "\r": "\\r"})


def _h(text: str) -> str:
    return text.translate(_HEADER)


def _v(text: str) -> str:
    return text.translate(_VALUE)


def _millis(rec: AuditRecord) -> int:
    ts = rec.ts
    return int(ts.timestamp()) * 1000 + ts.microsecond // 1000


def format_cef(rec: AuditRecord, *, product_version: str = "1") -> str:
    """One CEF line for ``rec`` (no line terminator)."""
    client = rec.client_name or ""
    if rec.client_version:
        client += "/" + rec.client_version
    params = rfc8785.dumps(rec.params).decode("utf-8")
    ext: list[tuple[str, str | int | None]] = [
        ("rt", _millis(rec)),
        ("externalId", rec.seq),
        ("suser", rec.user),
        ("suid", rec.user_id),
        ("requestClientApplication", client or None),
        ("act", rec.tool),
        ("outcome", rec.outcome),
        ("reason", rec.error_code),
        ("cnt", rec.row_count),
        ("cs1Label", "org_id"),
        ("cs1", rec.org_id),
        ("cs2Label", "database"),
        ("cs2", rec.database),
        ("cs3Label", "query_hash"),
        ("cs3", rec.query_hash),
        ("cs4Label", "params"),
        ("cs4", params),
        ("cs5Label", "record_hash"),
        ("cs5", rec.record_hash),
        ("cs6Label", "api_key_id"),
        ("cs6", rec.api_key_id),
        ("cn1Label", "duration_us"),
        ("cn1", rec.duration_us),
        ("flexString1Label", "model"),
        ("flexString1", rec.model),
        ("flexString2Label", "mode"),
        ("flexString2", rec.mode),
    ]
    extension = " ".join(f"{k}={_v(str(v))}" for k, v in ext if v is not None)
    header = "|".join(
        [
            "CEF:0",
            "conexor",
            "conexor",
            _h(product_version),
            _h(rec.tool),
            _h(f"{rec.tool} {rec.outcome}"),
            str(_SEVERITY[rec.outcome]),
        ]
    )
    return f"{header}|{extension}"


def write_cef(records: Iterable[AuditRecord], out: TextIO, *, product_version: str = "1") -> None:
    """Write one CEF line per record, each ending in ``\\n`` (streaming, constant memory)."""
    for rec in records:
        out.write(format_cef(rec, product_version=product_version))
        out.write("\n")
