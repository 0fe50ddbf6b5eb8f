"""REST routes for the audit trail: paged records with filters, a stream, checkpoints, proofs.

Everything is scoped to the caller's organisation. Records never hold rows;
checkpoints and proofs are what customers keep outside the server so a
rewritten or truncated trail is detectable.
"""

# No "from __future__ import annotations": FastAPI must see the Caller alias at runtime.

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from conexor.audit import FORMATS, export_pages, filter_records, inclusion_proof
from conexor.audit.record import AuditRecord
from conexor.server.auth import Authenticated
from conexor.server.checkpoints import Checkpointer
from conexor.server.errors import BadRequest
from conexor.store import AuditLog

__all__ = ["build_audit_router"]

PAGE_LIMIT = 5000
EXPORT_PAGE = 1000
#: Media type and file extension of each export format.
_EXPORT_TYPES = {
    "jsonl": ("application/x-ndjson", "jsonl"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "cef": ("text/plain; charset=utf-8", "cef.log"),
    "syslog": ("text/plain; charset=utf-8", "syslog.log"),
    "ocsf": ("application/x-ndjson", "ocsf.jsonl"),
}


def _when(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time; one without a zone is taken as UTC."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a time like 2026-01-31T00:00:00Z") from None
    return when if when.utcoffset() is not None else when.replace(tzinfo=UTC)


def build_audit_router(audit: AuditLog, checkpointer: Checkpointer, caller: Any) -> APIRouter:
    """The ``/api/v1/audit`` routes; ``caller`` is the shared authentication dependency."""
    router = APIRouter(prefix="/api/v1/audit")
    Caller = Annotated[Authenticated, Depends(caller)]

    @router.get("")
    async def audit_records(
        who: Caller,
        after_seq: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT)] = 1000,
        since: Annotated[str | None, Query(max_length=40)] = None,
        until: Annotated[str | None, Query(max_length=40)] = None,
        user: Annotated[str | None, Query(max_length=320)] = None,
        database: Annotated[str | None, Query(max_length=64)] = None,
    ) -> dict[str, Any]:
        """Records with seq > after_seq, oldest first; ``next_after_seq`` continues the scan.

        Filters apply within the scanned page, so a page may hold fewer records
        than ``limit``; keep going until ``done``.
        """
        start, end = _when(since, "since"), _when(until, "until")
        page = await anyio.to_thread.run_sync(
            lambda: audit.records(who.principal.org_id, after_seq=after_seq, limit=limit)
        )
        kept = filter_records(page, since=start, until=end, user=user, database=database)
        out = []
        for r in kept:
            body = r.body()
            body["record_hash"] = r.record_hash
            out.append(body)
        return {
            "records": out,
            "next_after_seq": page[-1].seq if page else after_seq,
            "done": len(page) < limit,
        }

    @router.get("/stream")
    async def stream_records(
        who: Caller, after_seq: Annotated[int, Query(ge=0)] = 0
    ) -> StreamingResponse:
        """Every record with seq > after_seq as JSON Lines, oldest first, streamed; never any rows.

        One canonical JSON object per line, ``record_hash`` included: the JSON
        Lines export format, which ``conexor audit verify`` hashes as it
        arrives. A verifier should treat a stream that ends early as an error
        (the HTTP framing shows it) and keep checkpoints to see a cut tail.
        """
        return StreamingResponse(
            audit.lines(who.principal.org_id, after_seq=after_seq),  # sync: run in a thread
            media_type="application/x-ndjson",
            headers={"cache-control": "no-store"},
        )

    @router.get("/export")
    async def export_records(
        who: Caller,
        format: Annotated[str, Query(max_length=20)] = "jsonl",
        since: Annotated[str | None, Query(max_length=40)] = None,
        until: Annotated[str | None, Query(max_length=40)] = None,
        user: Annotated[str | None, Query(max_length=320)] = None,
        database: Annotated[str | None, Query(max_length=64)] = None,
    ) -> StreamingResponse:
        """The whole (filtered) trail as a file, streamed a page at a time; never any rows.

        The same formats and bytes as ``conexor audit export``; the dashboard's
        export buttons download this with the key in the Authorization header.
        """
        if format not in FORMATS:
            raise BadRequest(f"unknown format; choose one of: {', '.join(FORMATS)}")
        start, end = _when(since, "since"), _when(until, "until")
        org = who.principal.org_id

        def pages() -> Iterator[list[AuditRecord]]:
            after = 0
            while True:
                page = audit.records(org, after_seq=after, limit=EXPORT_PAGE)
                yield list(
                    filter_records(page, since=start, until=end, user=user, database=database)
                )
                if len(page) < EXPORT_PAGE:
                    return
                after = page[-1].seq

        media_type, extension = _EXPORT_TYPES[format]
        return StreamingResponse(
            export_pages(pages(), format),  # a sync iterator: Starlette runs it in a thread
            media_type=media_type,
            headers={
                "content-disposition": f'attachment; filename="conexor-audit.{extension}"',
                "cache-control": "no-store",
            },
        )

    @router.get("/checkpoints")
    async def list_checkpoints(
        who: Caller, limit: Annotated[int, Query(ge=1, le=1000)] = 10
    ) -> dict[str, Any]:
        """The newest signed checkpoints of the org's trail, newest first."""
        texts = await anyio.to_thread.run_sync(
            lambda: audit.checkpoints(who.principal.org_id, limit=limit)
        )
        return {"checkpoints": texts, "key": checkpointer.signer.verifier().to_text()}

    @router.post("/checkpoints", status_code=201)
    async def issue_checkpoint(who: Caller) -> dict[str, Any]:
        """Issue a checkpoint of the trail as it is now, to keep outside the server."""
        cp = await anyio.to_thread.run_sync(lambda: checkpointer.issue(who.principal.org_id))
        assert cp is not None
        return {"checkpoint": cp.to_text(), "size": cp.size}

    @router.get("/proof")
    async def inclusion(who: Caller, seq: Annotated[int, Query(ge=1)]) -> dict[str, Any]:
        """An RFC 6962 inclusion proof of record ``seq`` in a fresh signed checkpoint."""
        org = who.principal.org_id

        def prove() -> dict[str, Any]:
            size, _ = audit.head(org)
            if seq > size:
                raise BadRequest(f"there is no audit record {seq}; the trail has {size}")
            cp = checkpointer.issue(org)
            assert cp is not None
            leaves = audit.record_hashes(org, after_seq=0, upto_seq=cp.size)
            proof = inclusion_proof(leaves, seq - 1)
            return {
                "seq": seq,
                "size": cp.size,
                "leaf": leaves[seq - 1].hex(),
                "proof": [base64.b64encode(h).decode("ascii") for h in proof],
                "checkpoint": cp.to_text(),
            }

        return await anyio.to_thread.run_sync(prove)

    return router
