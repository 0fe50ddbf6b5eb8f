"""Select records for export: by time, user and database (pure, streaming).

A filtered selection is not a verifiable trail on its own (the records between
the selected ones are missing, so links break); verify the whole trail, or
prove single records with Merkle inclusion proofs against a checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from conexor.audit.record import AuditRecord

__all__ = ["filter_records"]


def filter_records(
    records: Iterable[AuditRecord],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    user: str | None = None,
    database: str | None = None,
) -> Iterator[AuditRecord]:
    """Yield the records with ``since <= ts < until``, of ``user`` and on ``database``.

    ``user`` matches the user id or the e-mail; ``since``/``until`` must be
    timezone-aware. Each criterion left as None matches everything.
    """
    for bound in (since, until):
        if bound is not None and bound.utcoffset() is None:
            raise ValueError("since and until must be timezone-aware")
    for rec in records:
        if since is not None and rec.ts < since:
            continue
        if until is not None and rec.ts >= until:
            continue
        if user is not None and user not in (rec.user_id, rec.user):
            continue
        if database is not None and rec.database != database:
            continue
        yield rec
