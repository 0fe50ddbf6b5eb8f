"""``conexor server --workers N``: worker processes on one port, as replicas of one service."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx2
import pytest

from tests.cluster.test_replicas import store_url  # noqa: F401 - the fixture
from tests.integration.cli import CONEXOR, call, run_cli, signup
from tests.integration.test_demo import free_port
from tests.services import redis_url

pytestmark = pytest.mark.postgres


def test_workers_share_one_port_store_and_bus(tmp_path: Path, store_url: str) -> None:  # noqa: F811
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update({"CONEXOR_STORE_URL": store_url, "CONEXOR_REDIS_URL": redis_url()})
    proc = subprocess.Popen(
        [
            CONEXOR,
            "server",
            "--data-dir",
            str(tmp_path / "d"),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "workers did not become ready"
            time.sleep(0.2)
        key = signup(url)["api_key"]
        for _ in range(6):  # several connections, spread over the workers by the kernel
            assert call(url, key, "list_databases", {}).is_error is False
        records = run_cli("audit", "export", env={"CONEXOR_SERVER": url, "CONEXOR_API_KEY": key})
        assert len(records.stdout.splitlines()) == 6
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_workers_refuse_the_embedded_store(tmp_path: Path) -> None:
    proc = run_cli("server", "--data-dir", str(tmp_path), "--workers", "2", check=False)
    assert proc.returncode == 1
    assert "--workers needs the PostgreSQL store" in proc.stderr
