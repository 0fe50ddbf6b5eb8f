"""Audited calls per second across server replicas sharing one PostgreSQL store and Redis.

Starts ``--replicas`` real ``conexor server`` processes on a fresh PostgreSQL
store database (dropped at the end) and one Redis bus, signs up, then runs
``--clients`` MCP sessions (official client) split across the replicas, each
calling ``list_databases`` (audited, no database round trip) back to back for
``--seconds``. Every call's result is checked. Afterwards the whole audit
chain is verified with ``conexor audit verify`` against a fresh checkpoint, so
a fast run that forked or dropped records cannot pass. No figure is asserted.

    .venv/bin/python bench/cluster_throughput.py --replicas 2 --clients 20 --seconds 10

On a 2-core machine the client, both replicas and PostgreSQL share the CPUs;
the Python MCP client alone costs about 1 ms of CPU per call.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx2
import psycopg

from conexor.mcp.remote import connect

CONEXOR = str(Path(sys.executable).parent / "conexor")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    data: Path, store: str, redis: str, copy_from: Path | None
) -> tuple[str, subprocess.Popen[bytes]]:
    data.mkdir(parents=True)
    if copy_from is not None:
        for name in ("pepper", "audit-signing.key"):
            shutil.copy2(copy_from / name, data / name)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update({"CONEXOR_STORE_URL": store, "CONEXOR_REDIS_URL": redis})
    proc = subprocess.Popen(
        [CONEXOR, "server", "--data-dir", str(data), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx2.get(f"{url}/readyz", timeout=2).status_code == 200:
                return url, proc
        except httpx2.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("a replica did not start")
        time.sleep(0.2)


async def run_clients(urls: list[str], key: str, clients: int, seconds: float) -> tuple[int, int]:
    ok = 0
    failed = 0
    stop_at = time.monotonic() + seconds

    async def client(n: int) -> None:
        nonlocal ok, failed
        async with connect(f"{urls[n % len(urls)]}/mcp", key, client_name="bench") as session:
            while time.monotonic() < stop_at:
                result = await session.call_tool("list_databases", {})
                if result.is_error:
                    failed += 1
                else:
                    ok += 1

    async with anyio.create_task_group() as tasks:
        for n in range(clients):
            tasks.start_soon(client, n)
    return ok, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    name = f"bench_store_{secrets.token_hex(6)}"
    procs: list[subprocess.Popen[bytes]] = []
    with psycopg.connect(args.dsn, autocommit=True) as admin, tempfile.TemporaryDirectory() as tmp:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            store = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            urls: list[str] = []
            for i in range(args.replicas):
                url, proc = start(
                    Path(tmp) / f"r{i}", store, args.redis, Path(tmp) / "r0" if i else None
                )
                urls.append(url)
                procs.append(proc)
            key = httpx2.post(
                f"{urls[0]}/api/v1/signup", json={"email": "bench@example.com"}
            ).json()["api_key"]
            started = time.monotonic()
            ok, failed = anyio.run(run_clients, urls, key, args.clients, args.seconds)
            elapsed = time.monotonic() - started
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")},
                "CONEXOR_SERVER": urls[-1],
                "CONEXOR_API_KEY": key,
            }
            cp = Path(tmp) / "cp.txt"
            subprocess.run([CONEXOR, "audit", "checkpoint", "--save", str(cp)], env=env, check=True)
            verify = subprocess.run(
                [CONEXOR, "audit", "verify", "--checkpoint", str(cp)],
                env=env,
                capture_output=True,
                text=True,
            )
            report = {
                "replicas": args.replicas,
                "clients": args.clients,
                "seconds": round(elapsed, 2),
                "calls_ok": ok,
                "calls_failed": failed,
                "audited_calls_per_s": round(ok / elapsed, 1),
                "audit_verified": verify.returncode == 0,
                "cpus": os.cpu_count(),
            }
            print(json.dumps(report, indent=2))
            return 0 if failed == 0 and verify.returncode == 0 else 1
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(30)
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
