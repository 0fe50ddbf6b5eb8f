"""Audit verification speed: verify_trail over a million in-memory records.

Builds a valid trail of ``--records`` records in memory (varied tools, users,
parameters and outcomes), signs checkpoints at half and full size, then times
one ``verify_trail`` pass: every seq, link and record hash recomputed (RFC 8785
canonical JSON, SHA-256), the RFC 6962 Merkle root maintained alongside, and
both checkpoints' signatures and roots checked. Building the trail is not
timed. To make sure the fast build path produced honest records, a sample is
re-sealed through ``conexor.audit.seal`` (the general RFC 8785 encoder) and
must match exactly. Optionally also times reading the same trail back from a
JSON Lines export (``--jsonl N`` records), which is what ``audit verify`` on
an exported file adds.

    .venv/bin/python bench/audit_verify_bench.py                 # 1,000,000 records
    .venv/bin/python bench/audit_verify_bench.py --records 200000 --jsonl 100000
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import platform
import sys
import time
from datetime import UTC, datetime, timedelta

from conexor.audit import (
    GENESIS,
    AuditDraft,
    AuditRecord,
    generate_signer,
    normalize_params,
    origin_for,
    query_hash,
    read_jsonl,
    seal,
    sign_checkpoint,
    trail_root,
    verify_trail,
    write_jsonl,
)
from conexor.audit.chain import DOMAIN, body_encoder

T0 = datetime(2026, 11, 29, 9, 0, 0, tzinfo=UTC)
KEY = hashlib.sha256(b"bench query-hash key").digest()
SQL = [
    "SELECT country, COUNT(*) FROM customers GROUP BY 1",
    "SELECT * FROM orders WHERE id = 42",
    "SELECT name, email FROM customers WHERE country = 'Portugal' ORDER BY name LIMIT 50",
]


def _templates() -> list[AuditDraft]:
    out = []
    users = [("usr_9kP1", "ana@example.com"), ("usr_2mQ7", "bruno@example.com")]
    for i in range(12):
        uid, email = users[i % 2]
        sql = SQL[i % 3]
        tool = ["query", "list_tables", "describe_table", "query"][i % 4]
        params: dict[str, object] = {"database": "shop"}
        if tool == "query":
            params["sql"] = sql
            params["max_rows"] = 100
        elif tool == "describe_table":
            params["table"] = "customers"
        out.append(
            AuditDraft(
                ts=T0,
                org_id="org_7Qx2",
                user_id=uid,
                user=email,
                api_key_id="k3Zt9QbVw2",
                client_name="claude-ai",
                client_version="0.1.0",
                model="claude-sonnet-4" if i % 3 else None,
                tool=tool,
                params=normalize_params(params),
                database="shop",
                mode="cloud",
                outcome="ok" if i % 5 else "rejected",
                error_code=None if i % 5 else "query_rejected",
                row_count=(i * 7) if i % 5 else None,
                query_hash=query_hash(sql, KEY) if tool == "query" else None,
                duration_us=1500 + 37 * i,
            )
        )
    return out


def build_trail(n: int) -> list[AuditRecord]:
    """A valid trail of n records, built fast by copying validated templates."""
    templates = [seal(d, seq=1, prev_hash=GENESIS) for d in _templates()]
    encode = body_encoder()
    out: list[AuditRecord] = []
    prev = GENESIS
    prev_bytes = bytes(32)
    for i in range(n):
        rec = copy.copy(templates[i % len(templates)])
        # Same field types and ranges as the validated template, so still valid.
        object.__setattr__(rec, "seq", i + 1)
        object.__setattr__(rec, "ts", T0 + timedelta(microseconds=250_123 * i))
        object.__setattr__(rec, "duration_us", 1000 + (i * 7919) % 900_000)
        object.__setattr__(rec, "prev_hash", prev)
        digest = hashlib.sha256(DOMAIN + prev_bytes + encode(rec)).digest()
        object.__setattr__(rec, "record_hash", digest.hex())
        out.append(rec)
        prev, prev_bytes = digest.hex(), digest
    return out


def _check_sample(trail: list[AuditRecord]) -> None:
    step = max(1, len(trail) // 50)
    for rec in trail[::step]:
        resealed = seal(rec.draft(), seq=rec.seq, prev_hash=rec.prev_hash)
        if resealed.record_hash != rec.record_hash:
            sys.exit(f"record {rec.seq}: fast build disagrees with seal(); not benchmarking")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; best is reported")
    parser.add_argument("--jsonl", type=int, default=0, help="also time parsing N JSONL records")
    args = parser.parse_args()

    t = time.perf_counter()
    trail = build_trail(args.records)
    _check_sample(trail)
    built = time.perf_counter() - t
    signer = generate_signer("bench.example/audit")
    origin = origin_for("org_7Qx2")
    half = args.records // 2
    cps = [
        sign_checkpoint(signer, origin=origin, size=size, root=trail_root(trail[:size]), time=T0)
        for size in (half, args.records)
    ]
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(f"built {args.records:,} records in {built:.1f} s (not timed below)")
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        report = verify_trail(trail, checkpoints=cps, public_key=signer.verifier())
        times.append(time.perf_counter() - t)
        assert report.last_seq == args.records
        assert report.checkpoints == (half, args.records)
    best = min(times)
    print(
        f"verify_trail: {args.records:,} records, 2 checkpoints: best {best:.2f} s "
        f"({best / args.records * 1e6:.2f} us/record); all: " + ", ".join(f"{x:.2f}" for x in times)
    )
    if args.jsonl:
        buf = io.StringIO()
        write_jsonl(trail[: args.jsonl], buf)
        lines = buf.getvalue().splitlines()
        t = time.perf_counter()
        parsed = list(read_jsonl(lines))
        took = time.perf_counter() - t
        assert parsed == trail[: args.jsonl]
        print(
            f"read_jsonl: {args.jsonl:,} records in {took:.2f} s "
            f"({took / args.jsonl * 1e6:.2f} us/record)"
        )


if __name__ == "__main__":
    main()
