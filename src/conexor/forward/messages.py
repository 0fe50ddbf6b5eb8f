"""What a SIEM receives: one message per record and one per signed checkpoint.

Pure functions, no I/O. Records use the export formats of :mod:`conexor.audit`
unchanged (RFC 5424 from :func:`~conexor.audit.format_syslog`, the record's
canonical JSON for HEC), so a forwarded record and an exported one are the
same text. Checkpoints get a message of their own:

* syslog: MSGID ``checkpoint``; the structured-data element carries
  ``origin``, ``size``, ``root``, ``time`` and ``checkpoint_hash``; the MSG
  part is canonical JSON holding the signed checkpoint text exactly (its line
  breaks are JSON-escaped, so the message stays on one line and the signature
  still verifies after ``json.loads``).
* HEC: an event with sourcetype ``conexor:checkpoint`` and the same fields.

Every record message carries ``org_id``, ``seq`` and ``record_hash`` and every
checkpoint message ``origin`` and ``checkpoint_hash``: the keys a SIEM
deduplicates on, since delivery is at least once.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping

from conexor.audit import (
    AuditRecord,
    Checkpoint,
    canonical_json,
    checkpoint_hash,
    format_syslog,
    format_ts,
    parse_checkpoint,
)
from conexor.audit.record import JSON
from conexor.audit.syslog import DEFAULT_SD_ID, FACILITY_LOG_AUDIT

__all__ = [
    "CHECKPOINT_MSGID",
    "CHECKPOINT_SOURCETYPE",
    "RECORD_MSGID",
    "RECORD_SOURCETYPE",
    "checkpoint_id",
    "hec_body",
    "hec_checkpoint_event",
    "hec_record_event",
    "sd_escape",
    "syslog_checkpoint",
    "syslog_record",
]

RECORD_MSGID = "audit"
CHECKPOINT_MSGID = "checkpoint"
RECORD_SOURCETYPE = "conexor:audit"
CHECKPOINT_SOURCETYPE = "conexor:checkpoint"
_SOURCE = "conexor"
# Informational: a checkpoint reports state, it is not an event to alert on.
_CHECKPOINT_PRI = FACILITY_LOG_AUDIT * 8 + 6
# RFC 5424 section 6.3.3: inside PARAM-VALUE, '"', '\' and ']' are escaped with '\'.
_SD_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "]": "\\]"})
# RFC 5424 HOSTNAME: printable US-ASCII without spaces, at most 255 characters.
_HOSTNAME = re.compile(r"[!-~]{1,255}")


def sd_escape(value: str) -> str:
    """Escape a structured-data parameter value as RFC 5424 section 6.3.3 requires."""
    return value.translate(_SD_ESCAPES)


def checkpoint_id(cp: Checkpoint) -> str:
    """The checkpoint's identity as hex: :func:`~conexor.audit.checkpoint_hash` of its body.

    It is what the next checkpoint's ``previous`` line holds (in base64), so a
    SIEM can also follow the checkpoint chain by it.
    """
    return checkpoint_hash(cp).hex()


def _checkpoint_fields(text: str) -> dict[str, JSON]:
    cp = parse_checkpoint(text)
    return {
        "origin": cp.origin,
        "size": cp.size,
        "root": base64.b64encode(cp.root).decode("ascii"),
        "time": format_ts(cp.time),
        "checkpoint_hash": checkpoint_id(cp),
        "checkpoint": text,
    }


def syslog_record(rec: AuditRecord, *, hostname: str = "-") -> str:
    """One RFC 5424 message for a record (MSGID ``audit``), unframed."""
    return format_syslog(rec, hostname=hostname, msgid=RECORD_MSGID)


def syslog_checkpoint(text: str, *, hostname: str = "-", sd_id: str = DEFAULT_SD_ID) -> str:
    """One RFC 5424 message (MSGID ``checkpoint``) for a signed checkpoint text, unframed.

    Raises :class:`~conexor.audit.MalformedCheckpoint` when ``text`` does not parse.
    ``hostname`` is an RFC 5424 HOSTNAME (``-`` for none).
    """
    if _HOSTNAME.fullmatch(hostname) is None:
        raise ValueError("syslog hostname must be 1-255 printable ASCII characters")
    fields = _checkpoint_fields(text)
    params = " ".join(
        f'{name}="{sd_escape(str(fields[name]))}"'
        for name in ("origin", "size", "root", "time", "checkpoint_hash")
    )
    header = f"<{_CHECKPOINT_PRI}>1 {fields['time']} {hostname} conexor - {CHECKPOINT_MSGID}"
    return f"{header} [{sd_id} {params}] {canonical_json(fields).decode('utf-8')}"


def hec_record_event(rec: AuditRecord, *, host: str | None = None) -> dict[str, JSON | float]:
    """A Splunk HEC event for a record: ``event`` is the exported record object."""
    event: dict[str, JSON | float] = {
        "time": rec.ts.timestamp(),
        "source": _SOURCE,
        "sourcetype": RECORD_SOURCETYPE,
        "event": rec.to_dict(),
    }
    if host:
        event["host"] = host
    return event


def hec_checkpoint_event(text: str, *, host: str | None = None) -> dict[str, JSON | float]:
    """A Splunk HEC event (sourcetype ``conexor:checkpoint``) for a signed checkpoint text."""
    fields = _checkpoint_fields(text)
    event: dict[str, JSON | float] = {
        "time": parse_checkpoint(text).time.timestamp(),
        "source": _SOURCE,
        "sourcetype": CHECKPOINT_SOURCETYPE,
        "event": fields,
    }
    if host:
        event["host"] = host
    return event


def hec_body(events: Iterable[Mapping[str, object]]) -> bytes:
    """The HEC request body: the events as JSON objects, one per line (HEC batch form)."""
    return "".join(
        json.dumps(e, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
        for e in events
    ).encode("utf-8")
