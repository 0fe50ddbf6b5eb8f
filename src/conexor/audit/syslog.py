"""RFC 5424 syslog messages with structured data, and RFC 6587 octet-counting framing.

One message per record::

    <110>1 2026-11-29T09:11:32.250000Z gw.example.com conexor - audit
      [conexor@32473 seq="1" org_id="org_7Qx2" ... record_hash="c20f..."] {"api_key_id":...}

(one line; wrapped here). PRI is facility * 8 + severity with facility 13
("log audit") by default and severity 6 (informational) for ``ok``, 5 (notice)
for ``rejected`` and 4 (warning) for ``error``. The structured-data element
carries the fields a SIEM filters on; the MSG part is the record's RFC 8785
canonical JSON, so every message is a complete, verifiable record. In SD
parameter values ``"``, ``\\`` and ``]`` are escaped with a backslash as RFC
5424 section 6.3.3 requires; line breaks become spaces so that a message stays
on one line in newline-delimited files (the MSG JSON escapes them anyway).

``32473`` is the private enterprise number reserved for documentation
(RFC 5612); deployments that own a number pass their own ``sd_id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO

from conexor.audit.chain import canonical_json
from conexor.audit.record import AuditRecord, format_ts

__all__ = [
    "DEFAULT_SD_ID",
    "FACILITY_LOG_AUDIT",
    "format_syslog",
    "octet_frame",
    "write_syslog",
]

FACILITY_LOG_AUDIT = 13
DEFAULT_SD_ID = "conexor@32473"
_SEVERITY = {"ok": 6, "rejected": 5, "error": 4}
# Header fields are printable US-ASCII without spaces (RFC 5424 section 6).
_TOKEN = re.compile(r"[!-~]+")
_SD_NAME = re.compile(r"[!#-<>-\\^-~]{1,32}")
_SD_VALUE = str.maketrans({"\\": "\\\\", '"': '\\"', "]": "\\]", "\n": " ", "\r": " "})
_SD_FIELDS = (
    "seq",
    "org_id",
    "user_id",
    "user",
    "api_key_id",
    "client_name",
    "client_version",
    "model",
    "tool",
    "database",
    "mode",
    "outcome",
    "error_code",
    "row_count",
    "query_hash",
    "duration_us",
    "prev_hash",
    "record_hash",
)


def _token(value: str, max_len: int, what: str) -> str:
    if value == "-":
        return value
    if _TOKEN.fullmatch(value) is None or len(value) > max_len:
        raise ValueError(f"syslog {what} must be 1-{max_len} printable ASCII characters")
    return value


def format_syslog(
    rec: AuditRecord,
    *,
    hostname: str = "-",
    app_name: str = "conexor",
    procid: str = "-",
    msgid: str = "audit",
    facility: int = FACILITY_LOG_AUDIT,
    sd_id: str = DEFAULT_SD_ID,
) -> str:
    """One RFC 5424 message for ``rec`` (no framing, no line terminator)."""
    if not 0 <= facility <= 23:
        raise ValueError("syslog facility must be 0-23")
    if _SD_NAME.fullmatch(sd_id) is None:
        raise ValueError("syslog SD-ID must be 1-32 printable ASCII characters")
    pri = facility * 8 + _SEVERITY[rec.outcome]
    body = rec.to_dict()
    params = []
    for name in _SD_FIELDS:
        value = body[name]
        if value is None:
            continue
        params.append(f'{name}="{str(value).translate(_SD_VALUE)}"')
    sd = f"[{sd_id} {' '.join(params)}]"
    header = " ".join(
        [
            f"<{pri}>1",
            format_ts(rec.ts),
            _token(hostname, 255, "hostname"),
            _token(app_name, 48, "app-name"),
            _token(procid, 128, "procid"),
            _token(msgid, 32, "msgid"),
        ]
    )
    return f"{header} {sd} {canonical_json(body).decode('utf-8')}"


def octet_frame(message: str) -> bytes:
    """RFC 6587 octet counting for syslog over TCP/TLS: ``MSG-LEN SP SYSLOG-MSG``."""
    data = message.encode("utf-8")
    return str(len(data)).encode("ascii") + b" " + data


def write_syslog(
    records: Iterable[AuditRecord],
    out: TextIO,
    *,
    hostname: str = "-",
    app_name: str = "conexor",
    sd_id: str = DEFAULT_SD_ID,
) -> None:
    """Write one message per line (``\\n``-delimited), streaming; frame with
    :func:`octet_frame` instead when sending over TCP."""
    for rec in records:
        out.write(format_syslog(rec, hostname=hostname, app_name=app_name, sd_id=sd_id))
        out.write("\n")
