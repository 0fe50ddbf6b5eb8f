"""Audit verification speed: the library on a million records, and ``conexor audit verify``.

Three measurements, each of one core's work in one process:

``library`` (default) builds a valid trail of ``--records`` records in memory
(varied tools, users, parameters and outcomes), signs checkpoints at half and
full size, then times one ``verify_trail`` pass over the records and one
``verify_lines`` pass over the same trail as canonical JSON Lines (what an
export file or the server's stream holds): every seq, link and record hash
recomputed, the RFC 6962 Merkle root maintained alongside, and both
checkpoints' signatures and roots checked. Building is not timed. To make
sure the fast build produced honest records and lines, a sample is re-sealed
through ``conexor.audit.seal`` and re-encoded through the general RFC 8785
encoder, and must match exactly.

``live`` starts a real ``conexor server`` process on an embedded SQLite store,
signs up, writes the same kind of trail straight into its store (appending a
million records through tool calls would take hours), has the server sign a
checkpoint, then times the real ``conexor audit verify --key K --checkpoint C``
process end to end: wall time and the CLI process's own user and system CPU
time (the server runs in another process, on the other core).

    .venv/bin/python bench/audit_verify_bench.py                        # library, 1,000,000
    .venv/bin/python bench/audit_verify_bench.py --mode live            # CLI against a server
    .venv/bin/python bench/audit_verify_bench.py --records 200000 --jsonl 100000
"""

from __future__ import annotations

import argparse
import copy
import gc
import hashlib
import os
import platform
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conexor.audit import (
    GENESIS,
    AuditDraft,
    AuditRecord,
    format_ts,
    generate_signer,
    normalize_params,
    origin_for,
    query_hash,
    read_jsonl,
    record_line,
    seal,
    sign_checkpoint,
    trail_root,
    verify_lines,
    verify_trail,
)
from conexor.audit.chain import DOMAIN, body_encoder
from conexor.cli.client import ApiClient, CliError

T0 = datetime(2026, 11, 29, 9, 0, 0, tzinfo=UTC)
KEY = hashlib.sha256(b"bench query-hash key").digest()
SQL = [
    "SELECT country, COUNT(*) FROM customers GROUP BY 1",
    "SELECT * FROM orders WHERE id = 42",
    "SELECT name, email FROM customers WHERE country = 'Portugal' ORDER BY name LIMIT 50",
]


def _templates(org_id: str) -> list[AuditDraft]:
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
                org_id=org_id,
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


def iter_trail(n: int, org_id: str = "org_7Qx2") -> Iterator[tuple[AuditRecord, bytes]]:
    """A valid trail of n records and each record's canonical body, built fast.

    Records are copies of validated templates with the same field types and
    ranges, so they are still valid. Every fourth record is a point lookup with
    its own id, so a quarter of the params texts are unique (verification
    caches params it has checked; these miss the cache).
    """
    templates = [seal(d, seq=1, prev_hash=GENESIS) for d in _templates(org_id)]
    encode = body_encoder()
    prev = GENESIS
    prev_bytes = bytes(32)
    for i in range(n):
        rec = copy.copy(templates[i % len(templates)])
        object.__setattr__(rec, "seq", i + 1)
        object.__setattr__(rec, "ts", T0 + timedelta(microseconds=250_123 * i))
        object.__setattr__(rec, "duration_us", 1000 + (i * 7919) % 900_000)
        if i % 4 == 3:
            sql = f"SELECT * FROM orders WHERE id = {i}"
            params = {"database": "shop", "sql": sql, "max_rows": 100}
            object.__setattr__(rec, "tool", "query")
            object.__setattr__(rec, "params", params)
            object.__setattr__(rec, "query_hash", query_hash(sql, KEY))
        object.__setattr__(rec, "prev_hash", prev)
        body = encode(rec)
        digest = hashlib.sha256(DOMAIN + prev_bytes + body).digest()
        object.__setattr__(rec, "record_hash", digest.hex())
        yield rec, body
        prev, prev_bytes = digest.hex(), digest


def build_trail(n: int) -> list[AuditRecord]:
    """A valid trail of n records, in memory."""
    return [rec for rec, _ in iter_trail(n)]


def line_of(rec: AuditRecord, body: bytes) -> bytes:
    """The record's canonical line: ``record_hash`` goes right before ``row_count``."""
    cut = body.rfind(b',"row_count":')
    return b'%s,"record_hash":"%s"%s\n' % (body[:cut], rec.record_hash.encode(), body[cut:])


def _check_sample(trail: list[AuditRecord], lines: list[bytes] | None = None) -> None:
    step = max(1, len(trail) // 50)
    for i in range(0, len(trail), step):
        rec = trail[i]
        resealed = seal(rec.draft(), seq=rec.seq, prev_hash=rec.prev_hash)
        if resealed.record_hash != rec.record_hash:
            sys.exit(f"record {rec.seq}: fast build disagrees with seal(); not benchmarking")
        if lines is not None and lines[i] != record_line(rec):
            sys.exit(f"record {rec.seq}: fast line disagrees with RFC 8785; not benchmarking")


def _load() -> str:
    """The machine's load average: the figures mean little without it on shared cores."""
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _best(label: str, n: int, times: list[float]) -> None:
    best = min(times)
    print(
        f"{label}: {n:,} records, 2 checkpoints: best {best:.2f} s "
        f"({best / n * 1e6:.2f} us/record); all: "
        + ", ".join(f"{x:.2f}" for x in times)
        + f"; {_load()}"
    )


def library(args: argparse.Namespace) -> None:
    """Time verify_trail over records and verify_lines over lines, in this process."""
    t = time.perf_counter()
    trail: list[AuditRecord] = []
    lines: list[bytes] = []
    for rec, body in iter_trail(args.records):
        trail.append(rec)
        lines.append(line_of(rec, body))
    _check_sample(trail, lines)
    built = time.perf_counter() - t
    signer = generate_signer("bench.example/audit")
    origin = origin_for("org_7Qx2")
    half = args.records // 2
    cps = [
        sign_checkpoint(signer, origin=origin, size=size, root=trail_root(trail[:size]), time=T0)
        for size in (half, args.records)
    ]
    print(f"built {args.records:,} records in {built:.1f} s (not timed below)")
    # The trail is held in memory only to be timed; keep the collector from
    # rescanning a million live objects, which a streaming verifier never holds.
    gc.collect()
    gc.freeze()
    for label, verify, data in (
        ("verify_trail (records)", verify_trail, trail),
        ("verify_lines (JSON Lines)", verify_lines, lines),
    ):
        times = []
        for _ in range(args.repeat):
            t = time.process_time()
            report = verify(data, checkpoints=cps, public_key=signer.verifier())  # type: ignore[operator]
            times.append(time.process_time() - t)
            assert report.last_seq == args.records
            assert report.checkpoints == (half, args.records)
        _best(label + ", CPU", args.records, times)
    if args.jsonl:
        text = b"".join(lines[: args.jsonl]).decode()
        t = time.process_time()
        parsed = list(read_jsonl(text.split("\n")[:-1]))
        took = time.process_time() - t
        assert parsed == trail[: args.jsonl]
        print(
            f"read_jsonl: {args.jsonl:,} records in {took:.2f} s "
            f"({took / args.jsonl * 1e6:.2f} us/record)"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a command; return its wall, user and system seconds and its stdout."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv[:3])} failed: {err.decode()[-500:]}")
    return wall, usage.ru_utime, usage.ru_stime, out.decode()


def live(args: argparse.Namespace) -> None:
    """Time ``conexor audit verify`` against a real server holding the trail."""
    conexor = str(Path(sys.executable).parent / "conexor")
    with tempfile.TemporaryDirectory(prefix="conexor-audit-bench-") as tmp:
        data = Path(tmp) / "data"
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
        server = subprocess.Popen(
            [conexor, "server", "--data-dir", str(data), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with ApiClient(base) as anon:
                        account = anon.request(
                            "POST", "/signup", json={"email": "bench@example.com", "org": "Bench"}
                        )
                    break
                except CliError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        sys.exit("the conexor server did not start")
                    time.sleep(0.2)
            org_id = account["org"]["id"]
            env.update(CONEXOR_SERVER=base, CONEXOR_API_KEY=account["api_key"])
            t = time.perf_counter()
            _fill_store(data / "conexor.db", org_id, args.records)
            print(f"wrote {args.records:,} records to the store in {time.perf_counter() - t:.1f} s")
            key, cp = str(Path(tmp) / "key.txt"), str(Path(tmp) / "cp.txt")
            _timed([conexor, "audit", "key", "--save", key], env)
            wall, _, _, _ = _timed(
                [conexor, "audit", "checkpoint", "--save", cp, "--key", key], env
            )
            print(f"the server signed a checkpoint of {args.records:,} records in {wall:.1f} s")
            walls, users, systems = [], [], []
            for _ in range(args.repeat):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall, user, system, out = _timed(
                    [conexor, "audit", "verify", "--key", key, "--checkpoint", cp], env
                )
                if not out.startswith(f"audit trail intact: {args.records} records"):
                    sys.exit(f"unexpected verify output: {out[:200]}")
                walls.append(wall)
                users.append(user - before.ru_utime)
                systems.append(system - before.ru_stime)
            cpus = [u + s for u, s in zip(users, systems, strict=True)]
            print(
                f"conexor audit verify: {args.records:,} records over HTTP: "
                f"wall best {min(walls):.2f} s (all {', '.join(f'{x:.2f}' for x in walls)}); "
                f"CLI user CPU best {min(users):.2f} s "
                f"(all {', '.join(f'{x:.2f}' for x in users)}); "
                f"CLI system CPU best {min(systems):.2f} s; "
                f"CLI user+system CPU best {min(cpus):.2f} s "
                f"(all {', '.join(f'{x:.2f}' for x in cpus)}); {_load()}"
            )
        finally:
            server.terminate()
            server.wait(30)


def _fill_store(path: Path, org_id: str, n: int) -> None:
    """Append a valid trail for ``org_id`` to the server's SQLite store, as the server would."""
    conn = sqlite3.connect(path, timeout=60)
    try:
        batch: list[tuple[str, int, str, str, str, str]] = []
        head = (0, GENESIS)
        with conn:
            for rec, body in iter_trail(n, org_id):
                batch.append(
                    (
                        org_id,
                        rec.seq,
                        format_ts(rec.ts),
                        body.decode(),
                        rec.prev_hash,
                        rec.record_hash,
                    )
                )
                if len(batch) == 10_000:
                    conn.executemany("INSERT INTO audit_records VALUES (?, ?, ?, ?, ?, ?)", batch)
                    batch.clear()
                head = (rec.seq, rec.record_hash)
            conn.executemany("INSERT INTO audit_records VALUES (?, ?, ?, ?, ?, ?)", batch)
            conn.execute(
                "UPDATE audit_heads SET seq = ?, head_hash = ? WHERE org_id = ?", (*head, org_id)
            )
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("library", "live"), default="library")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; best is reported")
    parser.add_argument("--jsonl", type=int, default=0, help="also time read_jsonl on N records")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(f"{os.cpu_count()} CPUs, {_load()}")
    if args.mode == "library":
        library(args)
    else:
        live(args)


if __name__ == "__main__":
    main()
