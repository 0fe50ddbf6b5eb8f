"""conexor next to peer MCP database servers: the shared harness, run against real deployments.

The shared bench harness (``mcpbench.py`` and ``dataset.py`` in ``shared/bench``
beside the repository checkout) runs the same five workloads against
PostgreSQL directly, against peer MCP servers and against conexor, in one
process and one run. It treats conexor as an external target, so this script
provides the deployments: for each configuration (store, cloud or agent mode)
it starts a real ``conexor server`` on a free loopback port, signs up with the
CLI, registers the dataset as ``bench`` and, in agent mode, runs a real
``conexor agent``. It then runs the harness ``--runs`` times, measures the
server's CPU per call in a separate W5-only pass (the harness cannot see an
external target's processes), and aggregates: medians over runs, ratios to
``direct`` and to the best HTTP and stdio peer taken within each run.

    .venv/bin/python bench/side_by_side.py
    .venv/bin/python bench/side_by_side.py --runs 1 --configs cloud-sqlite --calls 50

Every database it creates (the dataset, PostgreSQL stores) has a random
suffix and is dropped at the end, also on failure or Ctrl-C. Secrets (API key,
agent token, database URLs with a password) travel in environment variables,
never on a command line. No figure is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HARNESS = ROOT.parent / "shared" / "bench"
CONEXOR = str(Path(sys.executable).parent / "conexor")

CONFIGS = ("cloud-sqlite", "agent-sqlite", "cloud-postgres", "agent-postgres")
PEERS = ("dbhub", "server-postgres", "postgres-mcp", "toolbox")
WORKLOADS = ("W1", "W2", "W3", "W4", "W5")
DESCRIPTIONS = {
    "W1": "list tables",
    "W2": "point lookup by PK",
    "W3": "aggregate: revenue by country",
    "W4": "1,000-row result",
    "W5": "concurrent point lookups",
}
HTTP_TRANSPORTS = frozenset({"http", "sse"})
BEGIN_MARK = "<!-- side-by-side:begin -->"
END_MARK = "<!-- side-by-side:end -->"
# harness options passed through unchanged: (flag, argparse type)
PASS_THROUGH: tuple[tuple[str, type], ...] = (
    ("--calls", int),
    ("--w3-calls", int),
    ("--warmup", int),
    ("--block", int),
    ("--w5-clients", int),
    ("--w5-seconds", float),
    ("--w5-repeats", int),
    ("--w5-mode", str),
    ("--mcp-mode", str),
    ("--seed", int),
    ("--call-timeout", float),
)


# ----------------------------------------------------------------------------- aggregation
#
# Everything from here to the I/O section is pure: it takes the raw document
# this script writes (harness ``results.json`` documents per run, plus the CPU
# samples) and returns values, so it is unit-tested on a fixture.


@dataclass(frozen=True)
class PeerPick:
    """The fastest peer of one transport kind for one workload in one run."""

    name: str
    p50_ms: float
    ratio_vs_direct: float | None


@dataclass(frozen=True)
class BestPeer:
    """A best peer over several runs: who won (most often first) and its median p50."""

    names: tuple[str, ...]
    p50_ms: float
    ratio_vs_direct: float | None

    @property
    def label(self) -> str:
        return "/".join(self.names)


@dataclass
class WorkloadRow:
    """One table row: conexor against direct and the best peers, medians over runs."""

    workload: str
    description: str
    runs_used: int = 0
    errors: int = 0
    conexor_p50: float | None = None
    conexor_p95: float | None = None
    conexor_calls_per_s: float | None = None
    direct_p50: float | None = None
    ratio_direct: float | None = None
    best_http: BestPeer | None = None
    ratio_http: float | None = None
    best_stdio: BestPeer | None = None
    ratio_stdio: float | None = None
    cpu_ms_per_call: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ConfigSummary:
    """The aggregate of one configuration's runs."""

    name: str
    runs: int
    rows: list[WorkloadRow]
    peers_from: str | None  # None: peers measured in the same runs; else that config's runs
    missing_peers: dict[str, str]
    errors: list[str]
    cpu_agent_share: float | None = None


@dataclass(frozen=True)
class W5Row:
    """Throughput and server CPU of one target under W5 (medians over runs)."""

    label: str
    transport: str
    calls_per_s: float | None
    p50_ms: float | None
    cpu_ms_per_call: float | None


def median(values: Iterable[float | None]) -> float | None:
    """Median of the values that exist; None when there are none."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def rows_of(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """A harness document's result rows by (target, workload)."""
    return {(r["target"], r["workload"]): r for r in doc.get("results", [])}


def usable(row: dict[str, Any] | None) -> bool:
    """A row whose latency can be used: validated, and at least one timed call succeeded."""
    return row is not None and not row.get("invalid") and row.get("p50_ms") is not None


def p50_of(row: dict[str, Any] | None) -> float | None:
    """The row's p50 in ms when the row is usable."""
    return float(row["p50_ms"]) if row is not None and usable(row) else None


def transport_kind(transport: str | None) -> str | None:
    """``HTTP`` (Streamable HTTP or SSE), ``stdio``, or None (direct, unknown)."""
    if transport in HTTP_TRANSPORTS:
        return "HTTP"
    if transport == "stdio":
        return "stdio"
    return None


def peer_targets(doc: dict[str, Any]) -> list[str]:
    return [name for name in doc.get("targets", {}) if name not in ("direct", "conexor")]


def missing_peers(doc: dict[str, Any]) -> dict[str, str]:
    """Peers the harness could not start (not installed, failed), with its one-line reason."""
    return {
        name: str(info["error"]).splitlines()[0][:160]
        for name, info in doc.get("targets", {}).items()
        if name not in ("direct", "conexor") and info.get("error")
    }


def best_peer(doc: dict[str, Any], workload: str, kind: str) -> PeerPick | None:
    """The peer of transport ``kind`` with the lowest p50 for ``workload`` in this run.

    A peer row counts only when it is usable and had no failed calls: a peer
    that fails calls is not faster, it is broken for that workload.
    """
    rows = rows_of(doc)
    base = p50_of(rows.get(("direct", workload)))
    picks: list[PeerPick] = []
    for name in peer_targets(doc):
        row = rows.get((name, workload))
        p50 = p50_of(row)
        if transport_kind(doc["targets"][name].get("transport")) != kind or p50 is None:
            continue
        if row is not None and row.get("errors"):
            continue
        picks.append(PeerPick(name, p50, ratio(p50, base)))
    return min(picks, key=lambda p: p.p50_ms) if picks else None


def combine_picks(picks: Sequence[PeerPick | None]) -> BestPeer | None:
    """Median p50 and ratio of the per-run winners; names ordered by how often they won."""
    won = [p for p in picks if p is not None]
    if not won:
        return None
    counts = Counter(p.name for p in won)
    names = tuple(sorted(counts, key=lambda n: (-counts[n], n)))
    p50 = median(p.p50_ms for p in won)
    assert p50 is not None
    return BestPeer(names, p50, median(p.ratio_vs_direct for p in won))


def setup_calls(doc: dict[str, Any]) -> int:
    """Calls of a W5-only harness pass made outside its timed window.

    Each W5 client warms up with ``max(1, warmup // 2)`` lookups per repeat, and
    opening the target sends one write probe. They cost server CPU like the
    timed calls, so they are counted as calls.
    """
    a = doc.get("meta", {}).get("args", {})
    per_client = max(1, int(a.get("warmup", 10)) // 2)
    return int(a.get("w5_clients", 10)) * int(a.get("w5_repeats", 1)) * per_client + 1


def cpu_ms_per_call(cpu: dict[str, Any] | None) -> float | None:
    """Server (plus agent) CPU milliseconds per call over the W5-only pass, or None."""
    if not cpu or not cpu.get("harness"):
        return None
    row = rows_of(cpu["harness"]).get(("conexor", "W5"))
    if not row or row.get("invalid") or not row.get("calls"):
        return None
    calls = int(row["calls"]) + setup_calls(cpu["harness"])
    seconds = float(cpu.get("server_cpu_s", 0.0)) + float(cpu.get("agent_cpu_s") or 0.0)
    return seconds * 1000 / calls


def agent_share(cpu: dict[str, Any] | None) -> float | None:
    """The agent's part of the measured CPU, for agent configurations."""
    if not cpu or cpu.get("agent_cpu_s") is None:
        return None
    total = float(cpu.get("server_cpu_s", 0.0)) + float(cpu["agent_cpu_s"])
    return float(cpu["agent_cpu_s"]) / total if total else None


def aggregate_workload(
    workload: str,
    runs: Sequence[dict[str, Any]],
    peer_runs: Sequence[dict[str, Any]],
    same_run: bool,
) -> WorkloadRow:
    """Medians over ``runs`` for one workload.

    Ratios to direct are taken within each run, then the median. Ratios to the
    best peers likewise when the peers ran in the same runs; otherwise (peers
    measured in another configuration's runs) they go through direct: the
    median conexor/direct divided by the median peer/direct, so drift between
    the runs cancels as far as it hits direct alike.
    """
    out = WorkloadRow(workload, DESCRIPTIONS.get(workload, workload))
    conexor: list[dict[str, Any]] = []
    ratios_direct: list[float | None] = []
    directs: list[float | None] = []
    for i, run in enumerate(runs):
        doc = run["harness"]
        rows = rows_of(doc)
        row, direct = rows.get(("conexor", workload)), rows.get(("direct", workload))
        if row is None:
            continue
        out.errors += int(row.get("errors") or 0)
        if not usable(row):
            out.notes.append(f"run {i + 1}: {row.get('invalid') or 'no successful call'}")
            continue
        conexor.append(row)
        d = p50_of(direct)
        directs.append(d)
        ratios_direct.append(ratio(row["p50_ms"], d))
    out.runs_used = len(conexor)
    out.conexor_p50 = median(r["p50_ms"] for r in conexor)
    out.conexor_p95 = median(r["p95_ms"] for r in conexor)
    out.conexor_calls_per_s = median(r.get("calls_per_s") for r in conexor)
    out.direct_p50 = median(directs)
    out.ratio_direct = median(ratios_direct)
    for kind in ("HTTP", "stdio"):
        picks = [best_peer(run["harness"], workload, kind) for run in peer_runs]
        best = combine_picks(picks)
        if same_run:
            per_run: list[float | None] = []
            for run, pick in zip(peer_runs, picks, strict=True):
                mine = p50_of(rows_of(run["harness"]).get(("conexor", workload)))
                if pick is not None:
                    per_run.append(ratio(mine, pick.p50_ms))
            r = median(per_run)
        else:
            r = ratio(out.ratio_direct, best.ratio_vs_direct if best else None)
        if kind == "HTTP":
            out.best_http, out.ratio_http = best, r
        else:
            out.best_stdio, out.ratio_stdio = best, r
    if workload == "W5":
        out.cpu_ms_per_call = median(cpu_ms_per_call(run.get("cpu")) for run in runs)
    return out


def aggregate_config(
    name: str,
    runs: Sequence[dict[str, Any]],
    peer_runs: Sequence[dict[str, Any]],
    peers_from: str | None,
    workloads: Sequence[str] = WORKLOADS,
) -> ConfigSummary:
    """One configuration: a row per workload; ``peers_from`` None means same-run peers."""
    same = peers_from is None
    rows = [aggregate_workload(wl, runs, peer_runs, same) for wl in workloads]
    missing: dict[str, str] = {}
    for run in peer_runs:
        missing.update(missing_peers(run["harness"]))
    errors = [
        f"run {i + 1}: conexor {info['error']}"
        for i, run in enumerate(runs)
        if (info := run["harness"].get("targets", {}).get("conexor", {})).get("error")
    ]
    share = median(agent_share(run.get("cpu")) for run in runs)
    return ConfigSummary(name, len(runs), rows, peers_from, missing, errors, share)


def peer_source(raw: dict[str, Any]) -> str | None:
    """The first configuration whose runs measured peers (they do not depend on conexor)."""
    for name in raw["meta"]["configs"]:
        runs = raw["configs"].get(name, {}).get("runs", [])
        if any(peer_targets(run["harness"]) for run in runs):
            return str(name)
    return None


def workloads_of(raw: dict[str, Any]) -> list[str]:
    present = {
        r["workload"]
        for cfg in raw["configs"].values()
        for run in cfg.get("runs", [])
        for r in run["harness"].get("results", [])
    }
    return [wl for wl in WORKLOADS if wl in present]


def aggregate(raw: dict[str, Any]) -> list[ConfigSummary]:
    """Every configuration of a raw document, in the order they were run."""
    source = peer_source(raw)
    peer_runs = raw["configs"][source]["runs"] if source else []
    workloads = workloads_of(raw)
    out = []
    for name in raw["meta"]["configs"]:
        runs = raw["configs"].get(name, {}).get("runs", [])
        if not runs:
            continue
        from_ = None if name == source else source
        out.append(aggregate_config(name, runs, peer_runs if source else [], from_, workloads))
    return out


def w5_rows(raw: dict[str, Any], summaries: Sequence[ConfigSummary]) -> list[W5Row]:
    """W5 for conexor in each configuration, then direct and every peer (peer runs only)."""
    out: list[W5Row] = []
    for s in summaries:
        row = next((r for r in s.rows if r.workload == "W5"), None)
        if row is not None:
            out.append(
                W5Row(
                    f"conexor, {s.name}",
                    "http",
                    row.conexor_calls_per_s,
                    row.conexor_p50,
                    row.cpu_ms_per_call,
                )
            )
    source = peer_source(raw)
    runs = raw["configs"][source]["runs"] if source else []
    names = [] if not runs else ["direct", *peer_targets(runs[0]["harness"])]
    for name in names:
        picked = [rows_of(run["harness"]).get((name, "W5")) for run in runs]
        rows = [r for r in picked if usable(r)]
        if not rows:
            continue
        transport = runs[0]["harness"]["targets"].get(name, {}).get("transport", "")
        out.append(
            W5Row(
                name,
                transport,
                median(r.get("calls_per_s") for r in rows),
                median(r["p50_ms"] for r in rows),
                median(r.get("peer_cpu_ms_per_call") for r in rows),
            )
        )
    return out


# ----------------------------------------------------------------------------- rendering


def fmt_ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if v < 100 else f"{v:.1f}"


def fmt_ratio(v: float | None) -> str:
    if v is None:
        return "-"
    if v < 10:
        return f"×{v:.2f}"
    return f"×{v:.1f}" if v < 100 else f"×{v:.0f}"


def fmt_num(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def fmt_peer(best: BestPeer | None) -> str:
    return "-" if best is None else f"{fmt_ms(best.p50_ms)} ({best.label})"


def render_header(meta: dict[str, Any]) -> str:
    """One line: when, on what, with which parameters."""
    h = meta.get("harness_args", {})
    load_before = "/".join(f"{x:.2f}" for x in meta.get("loadavg_before", []))
    load_after = "/".join(f"{x:.2f}" for x in meta.get("loadavg_after", []))
    w5 = f"W5 {h.get('w5_clients', 10)} clients × {h.get('w5_seconds', 10.0):g} s"
    return (
        f"{meta.get('started_at', '?')}; {meta.get('cpus', '?')} CPUs, load average "
        f"{load_before or '?'} before, {load_after or '?'} after; scale {meta.get('scale')}; "
        f"{meta.get('runs')} run(s) per configuration; {h.get('calls', 200)} calls per "
        f"workload, {w5}; conexor {meta.get('conexor_version', '?')}, "
        f"{meta.get('postgres', 'PostgreSQL')}."
    )


def render_config(s: ConfigSummary) -> str:
    """The table of one configuration, with its notes."""
    lines = [
        f"**{s.name}** ({s.runs} run{'s' if s.runs != 1 else ''})",
        "",
        "| workload | conexor p50 ms | conexor p95 ms | direct p50 ms | conexor / direct "
        "| best HTTP peer p50 ms | conexor / best HTTP | best stdio peer p50 ms "
        "| conexor / best stdio | conexor calls/s | server CPU ms/call | failed calls |",
        "|---|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in s.rows:
        cpu = fmt_num(r.cpu_ms_per_call, 2) if r.workload == "W5" else ""
        lines.append(
            f"| {r.workload} {r.description} | {fmt_ms(r.conexor_p50)} | {fmt_ms(r.conexor_p95)} "
            f"| {fmt_ms(r.direct_p50)} | {fmt_ratio(r.ratio_direct)} | {fmt_peer(r.best_http)} "
            f"| {fmt_ratio(r.ratio_http)} | {fmt_peer(r.best_stdio)} | {fmt_ratio(r.ratio_stdio)} "
            f"| {fmt_num(r.conexor_calls_per_s)} | {cpu} | {r.errors} |"
        )
    notes = list(s.errors)
    if s.peers_from:
        notes.append(
            f"peers measured in the {s.peers_from} runs; ratios to them go through direct "
            "(median conexor/direct over median peer/direct)"
        )
    if s.cpu_agent_share is not None:
        notes.append(f"server CPU includes the agent process ({s.cpu_agent_share:.0%} of it)")
    for r in s.rows:
        notes += [f"{r.workload} {n}" for n in r.notes]
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines)


def render_w5(rows: Sequence[W5Row]) -> str:
    lines = [
        "| W5 target | transport | calls/s | p50 ms | server CPU ms/call |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.transport} | {fmt_num(r.calls_per_s)} | {fmt_ms(r.p50_ms)} "
            f"| {fmt_num(r.cpu_ms_per_call, 2)} |"
        )
    return "\n".join(lines)


def render(raw: dict[str, Any]) -> str:
    """The whole markdown block: header, one table per configuration, the W5 table."""
    summaries = aggregate(raw)
    parts = [render_header(raw["meta"])]
    parts += [render_config(s) for s in summaries]
    parts.append(render_w5(w5_rows(raw, summaries)))
    notes = [
        f"- {name} stopped early: {cfg['error']}"
        for name, cfg in raw["configs"].items()
        if cfg.get("error")
    ]
    missing: dict[str, str] = {}
    for s in summaries:
        missing.update(s.missing_peers)
    notes += [f"- not measured: {name} ({why})" for name, why in sorted(missing.items())]
    if notes:
        parts.append("\n".join(notes))
    return "\n\n".join(parts) + "\n"


def replace_between_markers(text: str, block: str) -> str:
    """``text`` with everything between the side-by-side markers replaced by ``block``."""
    start = text.find(BEGIN_MARK)
    end = text.find(END_MARK)
    if start < 0 or end < start:
        raise ValueError(f"the markers {BEGIN_MARK} and {END_MARK} are missing or out of order")
    head = text[: start + len(BEGIN_MARK)]
    return f"{head}\n{block.strip()}\n{text[end:]}"


# ----------------------------------------------------------------------------- I/O


class BenchError(Exception):
    """A step of the run failed; the message is one line, safe to print."""


def url_for(admin_dsn: str, database: str, driver: str | None = None) -> str:
    """The admin URL pointed at ``database`` (and ``driver``), password kept."""
    from sqlalchemy.engine import make_url

    url = make_url(admin_dsn).set(database=database)
    if driver:
        url = url.set(drivername=driver)
    return url.render_as_string(hide_password=False)


def split_password(url: str) -> tuple[str, str | None]:
    """The URL without its password (safe for a command line) and the password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(password=None).render_as_string(), parsed.password


def clean_env(**extra: str) -> dict[str, str]:
    """The inherited environment without CONEXOR_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update(extra)
    return env


@contextlib.contextmanager
def scratch_database(admin_dsn: str, prefix: str) -> Iterator[str]:
    """A new database ``<prefix>_<hex>``; dropped on exit whatever happened. Yields its name."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(5)}"
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield name
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def load_dataset(harness: Path, url: str, scale: float, log: Path) -> float:
    """Fill the database with the harness's dataset; returns seconds taken."""
    bare, password = split_password(url)
    env = clean_env(**({"PGPASSWORD": password} if password else {}))
    started = time.monotonic()
    with log.open("ab") as f:
        done = subprocess.run(
            [sys.executable, str(harness / "dataset.py"), "--dsn", bare, "--scale", str(scale)],
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise BenchError(f"dataset.py failed (exit {done.returncode}); see {log.name}")
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu_s(root: int) -> float:
    """utime + stime, in seconds, of ``root`` and its live descendants (all threads)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            data = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = data[data.rfind(")") + 2 :].split()
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += [p for p, pp in parent.items() if pp == pid]
    return total


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 30) -> None:
    """Stop one child we started, by its pid: ``sig``, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def cli(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``conexor ARGS --json``; its JSON output (may hold a secret: never printed)."""
    done = subprocess.run(
        [CONEXOR, *args, "--json"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BenchError(f"conexor {args[0]} {args[1] if len(args) > 1 else ''} failed: {reason}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Deployment:
    """A running conexor with the dataset registered as ``bench``."""

    base_url: str
    api_key: str
    server: subprocess.Popen[bytes]
    agent: subprocess.Popen[bytes] | None = None

    def cpu_s(self) -> tuple[float, float | None]:
        agent = proc_cpu_s(self.agent.pid) if self.agent else None
        return proc_cpu_s(self.server.pid), agent


@contextlib.contextmanager
def conexor_server(data_dir: Path, store_url: str | None, log: Path) -> Iterator[tuple[str, Any]]:
    """A ``conexor server`` subprocess on a free loopback port; yields (base URL, process)."""
    import httpx2

    port = free_port()
    env = clean_env(**({"CONEXOR_STORE_URL": store_url} if store_url else {}))
    with log.open("ab") as f:
        proc = subprocess.Popen(
            [CONEXOR, "server", "--data-dir", str(data_dir), "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=f,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"conexor server did not become ready; see {log.name}")
            time.sleep(0.2)
        yield url, proc
    finally:
        stop(proc)


@contextlib.contextmanager
def conexor_agent(base_url: str, api_key: str, db_url: str, log: Path) -> Iterator[Any]:
    """Register ``bench`` in agent mode and run a ``conexor agent`` until it has sent the schema."""
    from conexor.cli.client import ApiClient

    env = clean_env(CONEXOR_SERVER=base_url, CONEXOR_API_KEY=api_key)
    token = cli(["db", "add", "bench", "--mode", "agent", "--dialect", "postgresql"], env)
    agent_env = clean_env(
        CONEXOR_SERVER=base_url, CONEXOR_AGENT_TOKEN=token["agent_token"], CONEXOR_DB_URL=db_url
    )
    with log.open("ab") as f:
        proc = subprocess.Popen(
            [CONEXOR, "agent"],
            env=agent_env,
            stdin=subprocess.DEVNULL,
            stdout=f,
            stderr=f,
            start_new_session=True,
        )
    try:
        with ApiClient(base_url, api_key) as api:
            deadline = time.monotonic() + 60
            while True:
                connected = api.request("GET", "/databases/bench/agent-tokens")["connected"]
                listed = api.request("GET", "/databases")["databases"]
                tables = next((d["tables"] for d in listed if d["name"] == "bench"), 0)
                if connected >= 1 and tables > 0:
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise BenchError(
                        f"the agent did not connect and send its schema; see {log.name}"
                    )
                time.sleep(0.2)
        yield proc
    finally:
        stop(proc)


@contextlib.contextmanager
def deployment(config: str, admin_dsn: str, dataset_url: str, work: Path) -> Iterator[Deployment]:
    """The conexor side of one configuration, torn down (stores dropped) on exit."""
    with contextlib.ExitStack() as stack:
        store_url = None
        if config.endswith("-postgres"):
            name = stack.enter_context(scratch_database(admin_dsn, "bench_store"))
            store_url = url_for(admin_dsn, name, "postgresql+psycopg")
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="conexor-sbs-")))
        base_url, server = stack.enter_context(
            conexor_server(data_dir / "data", store_url, work / f"{config}-server.log")
        )
        env = clean_env(CONEXOR_SERVER=base_url)
        email = f"bench-{secrets.token_hex(4)}@example.com"
        api_key = str(cli(["signup", "--email", email, "--org", "Bench"], env)["api_key"])
        agent = None
        if config.startswith("agent-"):
            log = work / f"{config}-agent.log"
            agent = stack.enter_context(conexor_agent(base_url, api_key, dataset_url, log))
        else:
            env.update(CONEXOR_API_KEY=api_key, CONEXOR_DB_URL=dataset_url)
            cli(["db", "add", "bench"], env)
        yield Deployment(base_url, api_key, server, agent)


def run_harness(
    harness: Path, argv: list[str], env: dict[str, str], out: Path, timeout: float
) -> dict[str, Any]:
    """One harness run into ``out``; its results.json. Progress goes to stderr."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(harness / "mcpbench.py"), *argv, "--out", str(out)]
    with (out / "harness.log").open("wb") as log:
        # its own session: Ctrl-C reaches only this script, which then stops it once
        proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, start_new_session=True
        )
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"the harness took longer than {timeout:g} s") from None
        finally:
            stop(proc, signal.SIGINT)  # SIGINT: the harness stops its peers on the way out
    result = out / "results.json"
    if not result.exists():
        raise BenchError(
            f"the harness wrote no results (exit {proc.returncode}); see {out.name}/harness.log"
        )
    doc: dict[str, Any] = json.loads(result.read_text())
    return doc


def harness_options(a: argparse.Namespace) -> list[str]:
    """The pass-through options the user gave, as harness arguments."""
    out: list[str] = []
    for flag, _ in PASS_THROUGH:
        value = getattr(a, flag[2:].replace("-", "_"))
        if value is not None:
            out += [flag, str(value)]
    for kv in a.transport:
        out += ["--transport", kv]
    return out


def run_config(
    a: argparse.Namespace, config: str, with_peers: bool, dataset_url: str, out: Path
) -> dict[str, Any]:
    """All runs of one configuration: main passes, then a W5-only pass for the server's CPU.

    Returns what was measured; a failure ends the configuration, not the bench,
    and is kept in the result as ``error`` next to the runs made before it.
    """
    result: dict[str, Any] = {"runs": [], "error": None}
    try:
        with deployment(config, a.admin_dsn, dataset_url, out) as dep:
            for n in range(1, a.runs + 1):
                result["runs"].append(one_run(a, config, n, with_peers, dataset_url, dep, out))
    except BenchError as exc:
        result["error"] = str(exc)
        print(f"!! {config}: {exc}", file=sys.stderr)
    return result


def one_run(
    a: argparse.Namespace,
    config: str,
    n: int,
    with_peers: bool,
    dataset_url: str,
    dep: Deployment,
    out: Path,
) -> dict[str, Any]:
    """One harness run over every target, then one W5-only pass with the server's CPU sampled."""
    targets = ["direct", "conexor", *(a.peers if with_peers else [])]
    passthrough = harness_options(a)
    env = clean_env(MCPBENCH_DSN=dataset_url, CONEXOR_API_KEY=dep.api_key)
    common = ["--conexor-url", f"{dep.base_url}/mcp", "--conexor-database", "bench"]
    print(f"== {config}, run {n}/{a.runs}: {','.join(targets)}", file=sys.stderr)
    argv = [*common, "--targets", ",".join(targets), "--workloads", a.workloads, *passthrough]
    doc = run_harness(a.harness, argv, env, out / config / f"run{n}", a.timeout)
    run: dict[str, Any] = {"harness": doc, "cpu": None}
    if "W5" not in a.workloads.split(","):
        return run
    print(f"== {config}, run {n}/{a.runs}: W5 pass for the server's CPU", file=sys.stderr)
    argv = [*common, "--targets", "conexor", "--workloads", "W5", *passthrough]
    server0, agent0 = dep.cpu_s()
    cpu_doc = run_harness(a.harness, argv, env, out / config / f"run{n}-cpu", a.timeout)
    server1, agent1 = dep.cpu_s()
    run["cpu"] = {
        "server_cpu_s": round(server1 - server0, 3),
        "agent_cpu_s": None if agent0 is None or agent1 is None else round(agent1 - agent0, 3),
        "harness": cpu_doc,
    }
    return run


def conexor_version() -> str:
    done = subprocess.run([CONEXOR, "version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--harness", type=Path, default=DEFAULT_HARNESS, help="the harness directory")
    p.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--scale", type=float, default=0.1, help="dataset scale (dataset.py --scale)")
    p.add_argument("--runs", type=int, default=3, help="harness runs per configuration")
    p.add_argument(
        "--configs",
        default="cloud-sqlite,agent-sqlite,cloud-postgres",
        help=f"comma list from {', '.join(CONFIGS)}",
    )
    p.add_argument(
        "--peers",
        default=",".join(PEERS),
        help="peer targets for the first configuration's runs ('' for none)",
    )
    p.add_argument("--workloads", default="W1,W2,W3,W4,W5")
    for flag, kind in PASS_THROUGH:
        p.add_argument(flag, type=kind, default=None, help="passed to the harness")
    p.add_argument("--transport", action="append", default=[], metavar="TARGET=KIND")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per harness run")
    p.add_argument("--out", type=Path, help="output folder (default: a new temporary one)")
    p.add_argument("--write-doc", type=Path, help="replace the tables between the markers here")
    p.add_argument("--render", type=Path, help="only render an earlier raw.json, run nothing")
    a = p.parse_args(argv)
    a.configs = [c.strip() for c in a.configs.split(",") if c.strip()]
    a.peers = [x.strip() for x in a.peers.split(",") if x.strip()]
    unknown = [c for c in a.configs if c not in CONFIGS] + [x for x in a.peers if x not in PEERS]
    if unknown or not a.configs:
        p.error(f"unknown or no configuration/peer: {', '.join(unknown) or '(none)'}")
    if a.runs < 1:
        p.error("--runs must be at least 1")
    return a


def measure(a: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Load the dataset once, run every configuration; the raw document."""
    meta: dict[str, Any] = {
        "tool": "side_by_side",
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "scale": a.scale,
        "runs": a.runs,
        "configs": a.configs,
        "peers": a.peers,
        "conexor_version": conexor_version(),
    }
    raw: dict[str, Any] = {"meta": meta, "configs": {}}
    with scratch_database(a.admin_dsn, "bench_data") as name:
        url = url_for(a.admin_dsn, name)
        print(f"loading the dataset (scale {a.scale}) ...", file=sys.stderr)
        meta["dataset_load_s"] = round(load_dataset(a.harness, url, a.scale, out / "dataset.log"))
        for i, config in enumerate(a.configs):
            raw["configs"][config] = run_config(a, config, i == 0 and bool(a.peers), url, out)
    meta["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    docs = [r["harness"] for c in raw["configs"].values() for r in c["runs"]]
    if docs:
        meta["harness_args"] = docs[0]["meta"].get("args", {})
        meta["postgres"] = docs[0]["meta"].get("postgres", "PostgreSQL")
    return raw


def interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so servers are stopped and databases dropped."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, interrupt)
    a = parse_args(argv)
    if a.render:
        raw = json.loads(a.render.read_text())
    else:
        if not (a.harness / "mcpbench.py").is_file() or not (a.harness / "dataset.py").is_file():
            sys.exit(f"side_by_side: no harness (mcpbench.py, dataset.py) in {a.harness}")
        out = a.out or Path(tempfile.mkdtemp(prefix="side-by-side-"))
        out.mkdir(parents=True, exist_ok=True)
        raw = measure(a, out)
        (out / "raw.json").write_text(json.dumps(raw, indent=1, default=str) + "\n")
        print(f"raw results: {out / 'raw.json'}", file=sys.stderr)
    block = render(raw)
    print(block)
    if a.write_doc:
        a.write_doc.write_text(replace_between_markers(a.write_doc.read_text(), block))
        print(f"updated {a.write_doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        sys.exit(f"side_by_side: {exc}")
    except KeyboardInterrupt:
        print("interrupted; servers stopped, bench databases dropped", file=sys.stderr)
        sys.exit(130)
