"""OCSF Datastore Activity events (class 6005) as JSON Lines, one per record.

Mapping (OCSF 1.x, category 6 "Application Activity", class 6005):

- ``activity_id``: 4 Query for ``query`` and named tools, 8 List for
  ``list_databases`` and ``list_tables``, 1 Read for ``describe_table``;
  ``type_uid = 6005 * 100 + activity_id``.
- ``status_id``: 1 Success for ``ok``, 2 Failure for ``rejected``/``error``,
  with the error code in ``status_code``; ``severity_id`` 1 Informational,
  3 Medium for rejected calls, 2 Low for failed ones.
- ``time``: milliseconds since the epoch; ``duration``: milliseconds.
- ``actor.user``: the human behind the key; ``src_endpoint``: the MCP client.
- ``database``: the database name, or ``"*"`` for calls that span all of the
  caller's databases (the class requires a database, bucket or table), with
  the ``type_id`` the database object requires: 1 Relational.
- ``query_info``: the query hash, and the SQL text when the call had one.
- ``unmapped.conexor``: the complete audit record, hashes included, so the
  event stays verifiable after a SIEM has ingested it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from conexor.audit.chain import canonical_json
from conexor.audit.record import JSON, AuditRecord, format_ts

__all__ = ["CLASS_UID", "OCSF_VERSION", "ocsf_event", "write_ocsf"]

#: The OCSF schema version whose Datastore Activity definition the events follow.
OCSF_VERSION = "1.3.0"
CATEGORY_UID = 6
CLASS_UID = 6005
_ACTIVITY = {
    "query": (4, "Query"),
    "list_databases": (8, "List"),
    "list_tables": (8, "List"),
    "describe_table": (1, "Read"),
}
_QUERY = (4, "Query")
_SEVERITY = {"ok": (1, "Informational"), "rejected": (3, "Medium"), "error": (2, "Low")}


def _activity(tool: str) -> tuple[int, str]:
    # Every tool but the three catalogue tools runs a query (named tools run
    # saved, parameterised ones).
    return _ACTIVITY.get(tool, _QUERY)


def ocsf_event(rec: AuditRecord, *, product_version: str = "1") -> dict[str, JSON]:
    """The OCSF Datastore Activity event for ``rec``."""
    activity_id, activity_name = _activity(rec.tool)
    severity_id, severity = _SEVERITY[rec.outcome]
    ok = rec.outcome == "ok"
    ts = rec.ts
    millis = int(ts.timestamp()) * 1000 + ts.microsecond // 1000
    client = rec.client_name or "unknown MCP client"
    actor: dict[str, JSON] = {
        "user": {"uid": rec.user_id, "name": rec.user, "email_addr": rec.user},
        "app_name": client,
    }
    src: dict[str, JSON] = {"name": client}
    if rec.api_key_id is not None:
        src["uid"] = rec.api_key_id
    event: dict[str, JSON] = {
        "activity_id": activity_id,
        "activity_name": activity_name,
        "category_uid": CATEGORY_UID,
        "category_name": "Application Activity",
        "class_uid": CLASS_UID,
        "class_name": "Datastore Activity",
        "type_uid": CLASS_UID * 100 + activity_id,
        "type_name": f"Datastore Activity: {activity_name}",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1 if ok else 2,
        "status": "Success" if ok else "Failure",
        "time": millis,
        "duration": rec.duration_us // 1000,
        "message": f"{rec.tool} {rec.outcome}",
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "conexor", "vendor_name": "conexor", "version": product_version},
            "uid": rec.record_hash,
            "sequence": rec.seq,
            "log_name": "audit",
            "original_time": format_ts(rec.ts),
        },
        "actor": actor,
        "src_endpoint": src,
        "database": {
            "name": rec.database if rec.database is not None else "*",
            "type_id": 1,
            "type": "Relational",
        },
        "type_id": 1,
        "type": "Database",
        "unmapped": {"conexor": rec.to_dict()},
    }
    if rec.error_code is not None:
        event["status_code"] = rec.error_code
    if rec.query_hash is not None:
        query: dict[str, JSON] = {"uid": rec.query_hash}
        sql = rec.params.get("sql")
        if isinstance(sql, str):
            query["query_string"] = sql
        event["query_info"] = query
    return event


def write_ocsf(records: Iterable[AuditRecord], out: TextIO, *, product_version: str = "1") -> None:
    """Write one OCSF event per line as canonical JSON (streaming, constant memory)."""
    for rec in records:
        out.write(canonical_json(ocsf_event(rec, product_version=product_version)).decode("utf-8"))
        out.write("\n")
