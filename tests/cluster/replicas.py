"""Server replicas as real processes sharing one PostgreSQL store and one Redis bus.

Also a failover TCP proxy standing in for a load balancer: each new connection
goes to the first upstream that accepts it, so when a replica dies its agents
reconnect to another one through the same address.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

from tests.integration.cli import CONEXOR
from tests.integration.test_demo import free_port


@dataclass
class Replica:
    """One ``conexor server`` process."""

    url: str
    proc: subprocess.Popen[str]
    log: Path

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def metric(self, name: str) -> float:
        """A metric's value (the sum over its label sets) from /metrics."""
        text = httpx2.get(f"{self.url}/metrics", timeout=5).text
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and not line.startswith("#"):
                head, _, value = line.rpartition(" ")
                if head == name or head.startswith(name + "{"):
                    total += float(value)
        return total


def start_replica(
    data_dir: Path, store_url: str, redis_url: str, log: Path, *, secrets_from: Path | None = None
) -> Replica:
    """Start a replica; ``secrets_from`` copies another replica's pepper and signing key."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if secrets_from is not None:
        for name in ("pepper", "audit-signing.key"):
            shutil.copy2(secrets_from / name, data_dir / name)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    env.update({"CONEXOR_REDIS_URL": redis_url, "CONEXOR_STORE_URL": store_url})
    handle = log.open("w")
    proc = subprocess.Popen(
        [CONEXOR, "server", "--data-dir", str(data_dir), "--port", str(port)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if httpx2.get(f"{url}/readyz", timeout=2).status_code == 200:
                return Replica(url, proc, log)
        except httpx2.TransportError:
            pass
        assert time.monotonic() < deadline, "replica did not become ready"
        time.sleep(0.2)


class FailoverProxy:
    """A TCP load balancer in miniature: new connections go to the first live upstream."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = [(u.split(":")[1].strip("/"), int(u.rsplit(":", 1)[1])) for u in upstreams]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._server = server
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for host, port in self.upstreams:
            try:
                up_reader, up_writer = await asyncio.open_connection(host, port)
                break
            except OSError:
                continue
        else:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def close(self) -> None:
        """Stop accepting, end every open pipe on the proxy's own loop, then close it.

        Pipes left pending would be finalised later by the garbage collector,
        during some unrelated test, on a loop that no longer runs.
        """

        async def shutdown() -> None:
            self._server.close()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
