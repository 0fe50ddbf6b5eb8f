"""Point-lookup latency: one psycopg connection versus the conexor query path.

A primary-key lookup is the cheapest query there is, so its latency is the
floor of every ``query`` call: API-key auth, the sandbox parse, the pooled
engine, the read-only transaction, JSON encoding, MCP framing and the audit
append (with fsync). The script builds its own PostgreSQL database, runs a real
server in this process, registers the database through the encrypt-then-upload
path, and times the same id sequence both ways. ``list_databases`` (audited, but
never touches the database) and ``tools/list`` (no tool, no audit) are timed too,
so the gateway's share can be told apart from the database's. No figure is
asserted; only results are checked, so a broken path cannot look fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio
import psycopg
import uvicorn
from mcp.types import CallToolResult
from sqlalchemy.engine import make_url

from conexor.cli.audit import fetch_records
from conexor.cli.client import ApiClient
from conexor.cli.db import register_cloud_database
from conexor.config import Settings
from conexor.mcp.remote import connect

Mode = Literal["auto", "legacy"]
T = TypeVar("T")
LOOKUP_SQL = "SELECT * FROM customers WHERE id = %s"
SEED = 20240601


def database_url(admin_dsn: str, name: str) -> str:
    """The admin DSN pointed at database ``name`` (credentials kept as given)."""
    return make_url(admin_dsn).set(database=name).render_as_string(hide_password=False)


@contextmanager
def bench_database(admin_dsn: str, rows: int) -> Iterator[str]:
    """A fresh ``bench_<hex>`` database with a filled ``customers`` table; dropped on exit."""
    name = f"bench_{secrets.token_hex(6)}"
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            url = database_url(admin_dsn, name)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, "
                    "email text NOT NULL, country char(2) NOT NULL, "
                    "created_at timestamptz NOT NULL)"
                )
                conn.execute(
                    "INSERT INTO customers SELECT g, 'Customer ' || g, "
                    "'customer' || g || '@example.com', "
                    "(ARRAY['NL','DE','FR','US','GB','JP'])[1 + g %% 6], "
                    "timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute' "
                    "FROM generate_series(1, %s) AS g",
                    (rows,),
                )
                conn.execute("ANALYZE customers")
            yield url
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def live_server(data_dir: Path) -> Iterator[str]:
    """A conexor server on 127.0.0.1 and a free port, in a thread; yields its base URL."""
    from conexor.server.app import create_app

    settings = Settings.build(data_dir=data_dir, port=0, environ={})
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="conexor-bench-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the conexor server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def agent_database(api: ApiClient, base_url: str, url: str) -> Iterator[None]:
    """Register ``bench`` in agent mode and run a real ``conexor agent`` process for it."""
    added = api.request(
        "POST",
        "/databases",
        json={
            "id": str(uuid.uuid4()),
            "name": "bench",
            "dialect": "postgresql",
            "mode": "agent",
            "schema": {"version": 1, "dialect": "postgresql", "default_schema": None, "tables": []},
        },
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update({"CONEXOR_AGENT_TOKEN": added["agent_token"], "CONEXOR_DB_URL": url})
    agent = subprocess.Popen(
        [str(Path(sys.executable).parent / "conexor"), "agent", "--server", base_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while api.request("GET", "/databases/bench/agent-tokens")["connected"] < 1:
            if time.monotonic() > deadline or agent.poll() is not None:
                raise RuntimeError("the agent did not connect")
            time.sleep(0.1)
        yield
    finally:
        agent.terminate()
        agent.wait(10)


def summarize(samples_ns: list[int]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds and sequential calls per second."""
    ms = [s / 1e6 for s in samples_ns]
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "p50_ms": cuts[49],
        "p95_ms": cuts[94],
        "p99_ms": cuts[98],
        "mean_ms": statistics.fmean(ms),
        "calls_per_s": len(ms) / (sum(samples_ns) / 1e9),
    }


def direct_lookup(cur: psycopg.Cursor[Any], ident: int) -> int:
    """One lookup on the plain driver; returns its duration in nanoseconds."""
    start = time.perf_counter_ns()
    cur.execute(LOOKUP_SQL, (ident,))
    rows = cur.fetchall()
    elapsed = time.perf_counter_ns() - start
    if len(rows) != 1 or rows[0][0] != ident:
        raise RuntimeError(f"direct lookup of id {ident} returned a wrong result")
    return elapsed


async def timed(call: Awaitable[T]) -> tuple[T, int]:
    """Await ``call`` (a coroutine only starts when awaited); its result and nanoseconds."""
    start = time.perf_counter_ns()
    result = await call
    return result, time.perf_counter_ns() - start


def check_lookup(result: CallToolResult, ident: int, count: int = 1) -> None:
    """The result must hold exactly ``count`` rows from ``ident`` on: a broken path is not fast."""
    rows = (result.structured_content or {}).get("rows") or []
    if result.is_error or len(rows) != count or rows[0][0] != ident:
        raise RuntimeError(f"conexor lookup of id {ident} returned a wrong result")


def check_listing(result: CallToolResult) -> None:
    """``list_databases`` must succeed and show the one registered database."""
    rows = (result.structured_content or {}).get("rows") or []
    if result.is_error or [r[0] for r in rows] != ["bench"]:
        raise RuntimeError("list_databases returned a wrong result")


def measure(
    url: str, mcp_url: str, api_key: str, mode: Mode, ids: list[int], warmup: int, scan: int = 0
) -> dict[str, list[int]]:
    """Time the paths over the same ids; the first ``warmup`` rounds of each are dropped.

    ``direct`` is the driver back to back on one autocommit psycopg connection,
    its best case. Then ``conexor``, ``list_databases``, ``list_tools`` (auth
    and transport only: no tool runs, nothing is audited) and the driver again
    (``direct_between``) go round-robin on one official-client MCP session, so
    background noise and idle wake-ups hit all of them alike.
    """
    names = ("direct", "direct_between", "conexor", "list_databases", "list_tools")
    samples: dict[str, list[int]] = {name: [] for name in names}

    async def run() -> None:
        with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
            for n, ident in enumerate(ids):
                elapsed = direct_lookup(cur, ident)
                if n >= warmup:
                    samples["direct"].append(elapsed)
            async with connect(mcp_url, api_key, mode=mode, client_name="conexor-bench") as client:
                for n, ident in enumerate(ids):
                    if scan:
                        sql = (
                            f"SELECT * FROM customers WHERE id >= {ident} ORDER BY id LIMIT {scan}"
                        )
                        args = {"database": "bench", "sql": sql, "max_rows": scan}
                    else:
                        args = {
                            "database": "bench",
                            "sql": f"SELECT * FROM customers WHERE id = {ident}",
                        }
                    found, t_query = await timed(client.call_tool("query", args))
                    check_lookup(found, ident, scan or 1)
                    listed, t_list = await timed(client.call_tool("list_databases", {}))
                    check_listing(listed)
                    _, t_tools = await timed(client.list_tools())
                    t_between = direct_lookup(cur, ident)
                    if n >= warmup:
                        for name, elapsed in zip(
                            names[1:], (t_between, t_query, t_list, t_tools), strict=True
                        ):
                            samples[name].append(elapsed)

    anyio.run(run)
    return samples


def audited_durations(api: ApiClient, calls: int) -> dict[str, float]:
    """Median server-side tool time (audit ``duration_us``) of the last ``calls`` of each tool."""
    per_tool: dict[str, list[int]] = {}
    for record in fetch_records(api):
        per_tool.setdefault(record.tool, []).append(record.duration_us)
    return {tool: statistics.median(d[-calls:]) / 1000 for tool, d in per_tool.items()}


def machine() -> dict[str, Any]:
    """What the figures were measured on (no paths, no host names)."""
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
    }


def markdown(
    results: dict[str, dict[str, float]], ratios: dict[str, dict[str, float]], mode: str
) -> str:
    """The figures as a markdown table, then the overhead ratios."""
    lines = [
        f"| path ({mode}) | p50 ms | p95 ms | p99 ms | mean ms | calls/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in results.items():
        lines.append(
            f"| {name} | {s['p50_ms']:.2f} | {s['p95_ms']:.2f} | {s['p99_ms']:.2f} "
            f"| {s['mean_ms']:.2f} | {s['calls_per_s']:.0f} |"
        )
    lines.append("")
    for base, r in ratios.items():
        lines.append(f"overhead conexor/{base}: p50 x{r['p50']:.1f}, p95 x{r['p95']:.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--dsn", default="postgresql://postgres@127.0.0.1:5432/test", help="admin DSN"
    )
    parser.add_argument("--calls", type=int, default=500, help="timed calls per path")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls first")
    parser.add_argument("--rows", type=int, default=100_000, help="rows in customers")
    parser.add_argument(
        "--mode", choices=["auto", "legacy"], default="auto", help="MCP protocol era"
    )
    parser.add_argument(
        "--backend",
        choices=["cloud", "agent"],
        default="cloud",
        help="cloud: the server holds the engine; agent: an on-premise agent process does",
    )
    parser.add_argument(
        "--scan",
        type=int,
        default=0,
        help="instead of a point lookup, fetch this many rows per query (e.g. 1000)",
    )
    parser.add_argument("--json", type=Path, dest="json_out", help="write raw figures here")
    args = parser.parse_args(argv)
    if args.calls < 2 or args.warmup < 0 or args.rows < 1:
        parser.error("--calls must be at least 2, --warmup non-negative, --rows positive")

    rng = random.Random(SEED)
    if args.scan < 0 or args.scan >= args.rows:
        parser.error("--scan must be between 0 and --rows")
    ids = [rng.randint(1, args.rows - args.scan) for _ in range(args.warmup + args.calls)]
    print(f"building {args.rows} rows, starting a server ...", file=sys.stderr)
    with (
        bench_database(args.dsn, args.rows) as url,
        tempfile.TemporaryDirectory(prefix="conexor-bench-") as tmp,
        live_server(Path(tmp) / "data") as base_url,
    ):
        with ApiClient(base_url) as anon:
            account = anon.request(
                "POST",
                "/signup",
                json={"email": f"bench-{secrets.token_hex(4)}@example.com", "org": "Bench"},
            )
        api_key: str = account["api_key"]
        with ApiClient(base_url, api_key) as api, contextlib.ExitStack() as stack:
            if args.backend == "agent":
                stack.enter_context(agent_database(api, base_url, url))
            else:
                register_cloud_database(api, api_key, "bench", url)
            print(f"timing ({args.mode}, {args.backend}) ...", file=sys.stderr)
            samples = measure(
                url, f"{base_url}/mcp", api_key, args.mode, ids, args.warmup, args.scan
            )
            server_ms = audited_durations(api, args.calls)

    results = {name: summarize(s) for name, s in samples.items()}
    ratios = {
        base: {q: results["conexor"][f"{q}_ms"] / results[base][f"{q}_ms"] for q in ("p50", "p95")}
        for base in ("direct", "direct_between")
    }
    print(markdown(results, ratios, f"{args.mode}, {args.backend}"))
    print(
        "server-side tool time, median ms (audit duration_us, excludes audit append): "
        + ", ".join(f"{tool} {ms:.2f}" for tool, ms in sorted(server_ms.items()))
    )
    if args.json_out:
        report = {
            "mode": args.mode,
            "backend": args.backend,
            "calls": args.calls,
            "warmup": args.warmup,
            "rows": args.rows,
            "machine": machine(),
            "results": results,
            "overhead": ratios,
            "server_tool_median_ms": server_ms,
            "samples_ns": samples,
        }
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; the bench database was dropped", file=sys.stderr)
        sys.exit(130)
