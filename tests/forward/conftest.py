"""Fixtures for the forwarding tests: a private CA, a real rsyslogd, a HEC stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.forward.certs import Pki, make_pki
from tests.forward.receivers import HecServer, Rsyslog, gtls_available, serve_hec, start_rsyslog


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A CA and a certificate for ``localhost`` only (so 127.0.0.1 fails host-name checks)."""
    return make_pki(tmp_path / "pki")


@pytest.fixture
def rsyslog(tmp_path: Path, pki: Pki) -> Iterator[Rsyslog]:
    """rsyslogd on loopback: plain TCP always, TLS when rsyslog-gnutls is installed."""
    rs = start_rsyslog(tmp_path / "rsyslog", pki if gtls_available() else None)
    try:
        yield rs
    finally:
        rs.stop()


@pytest.fixture
def hec(pki: Pki) -> Iterator[HecServer]:
    """An HTTPS HEC stand-in whose certificate the ``pki`` CA signed."""
    yield from serve_hec(pki)


@pytest.fixture
def hec_http() -> Iterator[HecServer]:
    """A plain-HTTP HEC stand-in on loopback."""
    yield from serve_hec(None)
