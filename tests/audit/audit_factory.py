"""Deterministic drafts and trails shared by the audit tests and the vector generator."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from conexor.audit import (
    GENESIS,
    AuditDraft,
    AuditRecord,
    Checkpoint,
    SignerKey,
    normalize_params,
    query_hash,
    seal,
    sign_checkpoint,
    trail_root,
)

T0 = datetime(2026, 11, 29, 9, 11, 32, 250000, tzinfo=UTC)
#: The test organisation's query-hash key (fixed so that vectors are reproducible).
QH_KEY = hashlib.sha256(b"conexor/audit/tests/query-hash-key").digest()

_CALLS = [
    ("list_databases", {}, None, "ok", None, 2, None),
    ("list_tables", {"database": "shop"}, "shop", "ok", None, 4, None),
    (
        "query",
        {"database": "shop", "sql": "SELECT country, count(*) FROM customers GROUP BY 1"},
        "shop",
        "ok",
        None,
        12,
        "SELECT country, COUNT(*) FROM customers GROUP BY 1",
    ),
    (
        "query",
        {"database": "shop", "sql": "DELETE FROM orders"},
        "shop",
        "rejected",
        "sandbox_query_rejected",
        None,
        "DELETE FROM orders",
    ),
    (
        "get_orders_by_country",
        {"database": "shop", "country": "Portugal", "max_rows": 100},
        "shop",
        "error",
        "sandbox_query_timeout",
        None,
        None,
    ),
]


def make_draft(i: int) -> AuditDraft:
    """The i-th (0-based) draft of a small, varied, fixed trail."""
    tool, params, database, outcome, error_code, row_count, sql = _CALLS[i % len(_CALLS)]
    return AuditDraft(
        ts=T0 + timedelta(seconds=17 * i, microseconds=1234 * i),
        org_id="org_7Qx2",
        user_id="usr_9kP1",
        user="ana@example.com",
        api_key_id="k3Zt9QbVw2",
        client_name="claude-ai" if i % 2 == 0 else "cursor",
        client_version="0.1.0" if i % 2 == 0 else None,
        model="claude-sonnet-4" if i % 3 else None,
        tool=tool,
        params=normalize_params(params),
        database=database,
        mode="cloud" if database else None,
        outcome=outcome,  # type: ignore[arg-type]
        error_code=error_code,
        row_count=row_count,
        query_hash=query_hash(sql, QH_KEY) if sql else None,
        duration_us=1500 + 731 * i,
    )


def make_trail(n: int) -> list[AuditRecord]:
    """A sealed, intact trail of n records."""
    out: list[AuditRecord] = []
    prev = GENESIS
    for i in range(n):
        rec = seal(make_draft(i), seq=i + 1, prev_hash=prev)
        out.append(rec)
        prev = rec.record_hash
    return out


#: The test log's signing key (a fixed seed, so checkpoint vectors are exact).
SIGNER = SignerKey(
    "conexor.test/audit", hashlib.sha256(b"conexor/audit/tests/signing-key").digest()
)
#: A different key with the same name: what a forger without the real key holds.
FORGER = SignerKey("conexor.test/audit", hashlib.sha256(b"conexor/audit/tests/forger-key").digest())
ORIGIN = "conexor.test/audit/org_7Qx2"


def reseal(trail: list[AuditRecord], start: int) -> list[AuditRecord]:
    """Recompute hashes and links from index ``start`` on, as a forger with store access would."""
    out = list(trail[:start])
    for rec in trail[start:]:
        prev = out[-1].record_hash if out else GENESIS
        out.append(seal(rec.draft(), seq=len(out) + 1, prev_hash=prev))
    return out


def checkpoint_of(
    trail: list[AuditRecord], size: int, *, key: SignerKey = SIGNER, seconds: int = 0
) -> Checkpoint:
    """A signed checkpoint of the first ``size`` records of ``trail``."""
    return sign_checkpoint(
        key,
        origin=ORIGIN,
        size=size,
        root=trail_root(trail[:size]),
        time=T0 + timedelta(hours=1, seconds=seconds),
    )
