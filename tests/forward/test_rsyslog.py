"""Forwarding from a live conexor server into a real rsyslogd that parses every message.

Both ways in: the ``conexor audit forward`` command (over REST, in-process) and
the server's background forwarder (from the store). Each test checks that
every record arrived exactly once with its structured data intact, that the
signed checkpoints came along and verify, that a restart with the same
cursor neither repeats nor skips, and that no row value reached the SIEM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conexor.forward import Cursor, ForwardError, open_target, start_server_forwarding
from conexor.store import AuditLog, open_store_engine
from tests.audit.audit_factory import make_trail
from tests.conftest import LiveServer
from tests.forward.certs import Pki
from tests.forward.receivers import Rsyslog
from tests.forward.stream import (
    Account,
    assert_exactly_once,
    decode_syslog,
    make_account,
    run_forward,
)
from tests.services import unavailable


def _arrived(rs: Rsyslog, account: Account, records: int, checkpoints: list[str]) -> None:
    """Wait until rsyslog wrote ``records`` records and every checkpoint in ``checkpoints``."""

    def done(messages: list[dict[str, object]]) -> bool:
        stream = decode_syslog(messages, account.org_id)  # type: ignore[arg-type]
        return len(stream.records) >= records and set(checkpoints) <= set(stream.checkpoints)

    rs.wait_for(done, f"{records} records and {len(checkpoints)} checkpoints in rsyslog")


def test_cli_forwards_over_tcp_and_resumes(
    live_server: LiveServer, rsyslog: Rsyslog, tmp_path: Path
) -> None:
    account = make_account(live_server, tmp_path)
    state = tmp_path / "forward.json"
    to = f"syslog+tcp://127.0.0.1:{rsyslog.tcp_port}"
    account.make_calls(3)
    issued = [account.checkpoint()]
    account.make_calls(1)

    result = run_forward(["--to", to, "--state", str(state), "--batch", "2"], account.env())
    assert result.exit_code == 0, result.output
    assert "forwarded 4 audit records" in result.output
    _arrived(rsyslog, account, 4, issued)

    # A restart with the same cursor: only what is new goes out.
    again = run_forward(["--to", to, "--state", str(state)], account.env())
    assert again.exit_code == 0 and "forwarded 0 audit records" in again.output
    account.make_calls(2)
    issued.append(account.checkpoint())
    after = run_forward(["--to", to, "--state", str(state)], account.env())
    assert after.exit_code == 0 and "forwarded 2 audit records" in after.output
    _arrived(rsyslog, account, 6, issued)

    messages = rsyslog.messages()
    assert_exactly_once(decode_syslog(messages, account.org_id), account, issued)
    assert Cursor(state).position(account.org_id).last_seq == 6
    assert account.canary not in rsyslog.out.read_text(encoding="utf-8")


def test_server_forwards_over_tls_and_resumes(
    live_server: LiveServer, rsyslog: Rsyslog, pki: Pki, tmp_path: Path
) -> None:
    if rsyslog.tls_port is None:
        unavailable("rsyslog's TLS driver (Debian package rsyslog-gnutls)")
    account = make_account(live_server, tmp_path)
    engine = open_store_engine(live_server.settings.store_url)
    audit = AuditLog(engine)
    state = live_server.data_dir / "audit-forward.json"
    url = f"syslog+tls://localhost:{rsyslog.tls_port}"
    try:
        handle = start_server_forwarding(audit, url, state, ca_file=pki.ca, interval_s=0.05)
        try:
            account.make_calls(3)
            issued = [account.checkpoint()]
            _arrived(rsyslog, account, 3, issued)
        finally:
            handle.stop()
        assert not handle.running

        # Records written while the forwarder is down go out after the restart, once.
        account.make_calls(2)
        issued.append(account.checkpoint())
        handle = start_server_forwarding(audit, url, state, ca_file=pki.ca, interval_s=0.05)
        try:
            _arrived(rsyslog, account, 5, issued)
            account.make_calls(1)
            _arrived(rsyslog, account, 6, issued)
        finally:
            handle.stop()
    finally:
        engine.dispose()

    assert_exactly_once(decode_syslog(rsyslog.messages(), account.org_id), account, issued)
    assert account.canary not in rsyslog.out.read_text(encoding="utf-8")
    assert state.stat().st_mode & 0o777 == 0o600


def test_tls_checks_the_certificate_and_host_name(rsyslog: Rsyslog, pki: Pki) -> None:
    if rsyslog.tls_port is None:
        unavailable("rsyslog's TLS driver (Debian package rsyslog-gnutls)")
    batch = make_trail(1)
    # The certificate names localhost only.
    wrong_host = open_target(f"syslog+tls://127.0.0.1:{rsyslog.tls_port}", ca_file=pki.ca)
    with pytest.raises(ForwardError, match="does not match the host name"):
        wrong_host.send(batch, [])
    untrusted = open_target(f"syslog+tls://localhost:{rsyslog.tls_port}")
    with pytest.raises(ForwardError, match="not trusted"):
        untrusted.send(batch, [])
    trusted = open_target(f"syslog+tls://localhost:{rsyslog.tls_port}", ca_file=pki.ca)
    trusted.send(batch, [])
    rsyslog.wait_for(lambda m: len(m) == 1, "the one record sent over verified TLS")


def test_receiver_down_leaves_the_cursor(
    live_server: LiveServer, rsyslog: Rsyslog, tmp_path: Path
) -> None:
    account = make_account(live_server, tmp_path)
    state = tmp_path / "forward.json"
    to = f"syslog+tcp://127.0.0.1:{rsyslog.tcp_port}"
    account.make_calls(1)
    assert run_forward(["--to", to, "--state", str(state)], account.env()).exit_code == 0
    rsyslog.stop()
    account.make_calls(1)
    result = run_forward(["--to", to, "--state", str(state)], account.env())
    assert result.exit_code != 0
    assert isinstance(result.exception, ForwardError)
    assert "could not deliver audit records to syslog+tcp://127.0.0.1" in result.exception.public
    assert Cursor(state).position(account.org_id).last_seq == 1
