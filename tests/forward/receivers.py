"""Real receivers for forwarding tests: an rsyslog started on loopback ports, and a HEC server.

rsyslog (the Debian package) listens with imtcp on a plain and, when its
GnuTLS driver is installed (``rsyslog-gnutls``), a TLS port; it parses each
message's structured data with mmpstrucdata and writes one JSON line per
message (MSGID, APP-NAME, PRI, parsed SD, MSG) to a file the test reads.
"""

from __future__ import annotations

import glob
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.forward.certs import Pki
from tests.services import unavailable

_CONF = """\
global(workDirectory="{work}" maxMessageSize="256k")
module(load="imtcp" maxSessions="50")
module(load="mmpstrucdata")
input(type="imtcp" address="127.0.0.1" port="{tcp_port}" ruleset="siem")
{tls_input}
template(name="siemjson" type="list" option.jsonf="on") {{
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="appname" name="app-name" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="sd" name="$!rfc5424-sd" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}}
ruleset(name="siem") {{
  action(type="mmpstrucdata")
  action(type="omfile" file="{out}" template="siemjson")
}}
"""
_TLS_INPUT = """\
input(type="imtcp" address="127.0.0.1" port="{tls_port}" ruleset="siem"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"
      streamDriver.caFile="{ca}" streamDriver.certFile="{cert}" streamDriver.keyFile="{key}")
"""
_DEADLINE_S = 30.0


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def gtls_available() -> bool:
    """Whether rsyslog's GnuTLS network stream driver is installed."""
    patterns = ("/usr/lib/*/rsyslog/lmnsd_gtls.so", "/usr/lib/rsyslog/lmnsd_gtls.so")
    return any(glob.glob(p) for p in patterns)


def wait_until(check: Callable[[], bool], what: str, deadline_s: float = _DEADLINE_S) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + deadline_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@dataclass
class Rsyslog:
    """A running rsyslogd and where it writes what it received."""

    tcp_port: int
    tls_port: int | None
    out: Path
    process: subprocess.Popen[bytes]
    stderr: Path

    def messages(self) -> list[dict[str, Any]]:
        """Every message received so far, with ``sd`` parsed into a dict."""
        if not self.out.exists():
            return []
        found = []
        for line in self.out.read_text(encoding="utf-8").splitlines():
            if not line.endswith("}"):
                continue  # a line still being written
            item = json.loads(line)
            item["sd"] = json.loads(item["sd"]) if item["sd"] else {}
            found.append(item)
        return found

    def wait_for(
        self, check: Callable[[list[dict[str, Any]]], bool], what: str
    ) -> list[dict[str, Any]]:
        """Wait until ``check(messages)`` holds, then return the messages."""
        wait_until(lambda: check(self.messages()), what)
        return self.messages()

    def stop(self) -> None:
        """Terminate rsyslogd and reap it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_rsyslog(directory: Path, pki: Pki | None) -> Rsyslog:
    """Start ``rsyslogd -n`` on free loopback ports (TLS too when ``pki`` is given)."""
    binary = shutil.which("rsyslogd") or (
        "/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None
    )
    if binary is None:
        unavailable("rsyslogd (Debian package rsyslog)")
    directory.mkdir(parents=True, exist_ok=True)
    tcp_port = free_port()
    tls_port = free_port() if pki is not None else None
    tls_input = (
        _TLS_INPUT.format(tls_port=tls_port, ca=pki.ca, cert=pki.cert, key=pki.key)
        if pki is not None
        else ""
    )
    out = directory / "received.jsonl"
    conf = directory / "rsyslog.conf"
    conf.write_text(
        _CONF.format(work=directory, tcp_port=tcp_port, tls_input=tls_input, out=out),
        encoding="utf-8",
    )
    stderr = directory / "rsyslogd.err"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [binary, "-n", "-f", str(conf), "-i", str(directory / "rsyslogd.pid")],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
        )
    rs = Rsyslog(tcp_port, tls_port, out, process, stderr)
    try:
        for port in (tcp_port, tls_port):
            if port is not None:
                wait_until(lambda p=port: _listening(rs, p), f"rsyslogd on port {port}")  # type: ignore[misc]
    except BaseException:
        rs.stop()
        raise
    return rs


def _listening(rs: Rsyslog, port: int) -> bool:
    if rs.process.poll() is not None:
        raise AssertionError(f"rsyslogd exited: {rs.stderr.read_text(errors='replace')[-2000:]}")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@dataclass
class HecRequest:
    """One request the HEC server received."""

    path: str
    headers: dict[str, str]
    body: bytes

    def events(self) -> list[dict[str, Any]]:
        """The JSON events of the body, one per line."""
        return [json.loads(line) for line in self.body.decode("utf-8").splitlines() if line]


@dataclass
class HecServer:
    """A loopback HTTP(S) server that records requests and answers ``status``."""

    url: str
    requests: list[HecRequest] = field(default_factory=list)
    status: int = 200


def serve_hec(pki: Pki | None) -> Iterator[HecServer]:
    """Run a HEC stand-in (HTTPS with ``pki``, else plain HTTP) until the generator closes."""
    state = HecServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(HecRequest(self.path, dict(self.headers.items()), body))
            answer = json.dumps({"text": "Success" if state.status == 200 else "Failed", "code": 0})
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if pki is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.cert, pki.key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    port = httpd.server_address[1]
    state.url = f"{scheme}://localhost:{port}/services/collector/event"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
