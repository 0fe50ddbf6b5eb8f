"""Target URLs, the HEC transport against a local HTTPS server, and transport failures."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conexor.forward import ForwardError, open_target, parse_target_url
from tests.audit.audit_factory import checkpoint_of, make_trail
from tests.forward.certs import Pki
from tests.forward.receivers import HecServer, free_port

TOKEN = "7c1e2a90-5f3b-4d11-9a7e-0c2b1d3e4f5a"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("syslog+tcp://SIEM.example.com", "syslog+tcp://siem.example.com:514"),
        ("syslog+tcp://10.0.0.5:1514/", "syslog+tcp://10.0.0.5:1514"),
        ("syslog+tls://siem.example.com", "syslog+tls://siem.example.com:6514"),
        ("syslog+tls://[::1]:6514", "syslog+tls://[::1]:6514"),
        (
            "https://hec.example.com/services/collector/event",
            "https://hec.example.com:443/services/collector/event",
        ),
        (
            "https://hec.example.com:8088/splunk/services/collector/event",
            "https://hec.example.com:8088/splunk/services/collector/event",
        ),
    ],
)
def test_target_urls(url: str, name: str) -> None:
    assert parse_target_url(url).name == name


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://siem:21", "must start with"),
        ("syslog+udp://siem:514", "must start with"),
        (f"https://x:{TOKEN}@hec/services/collector/event", "must not hold credentials"),
        (f"https://hec/services/collector/event?token={TOKEN}", "query string"),
        ("https://hec/services/collector/raw", "path must end in"),
        ("syslog+tcp://siem:514/logs", "has no path"),
        ("syslog+tcp://:514", "no host"),
        ("syslog+tcp://siem:99999", "not a valid URL"),
    ],
)
def test_bad_target_urls_are_refused_without_echo(url: str, why: str) -> None:
    with pytest.raises(ForwardError, match=why) as info:
        parse_target_url(url)
    assert TOKEN not in info.value.public
    assert info.value.code == "forward_failed"


def test_open_target_checks_options(tmp_path: Path) -> None:
    hec = "https://hec.example.com/services/collector/event"
    with pytest.raises(ForwardError, match="needs a token in CONEXOR_HEC_TOKEN"):
        open_target(hec)
    with pytest.raises(ForwardError, match="printable ASCII"):
        open_target(hec, hec_token="bad\r\nX-Injected: 1")
    with pytest.raises(ForwardError, match="CA file applies only"):
        open_target("syslog+tcp://siem", ca_file=tmp_path / "ca.pem")
    with pytest.raises(ForwardError, match="could not read the CA file"):
        open_target("syslog+tls://siem", ca_file=tmp_path / "missing.pem")
    with pytest.raises(ForwardError, match="must use https"):
        open_target("http://127.0.0.1:8088/services/collector/event", hec_token=TOKEN)
    with pytest.raises(ForwardError, match="must use https"):
        open_target(
            "http://hec.example.com/services/collector/event",
            hec_token=TOKEN,
            unsafe_allow_http=True,
        )
    with pytest.raises(ForwardError, match="host name"):
        open_target("syslog+tcp://siem", hostname="two words")


def test_hec_delivers_events_with_the_token_in_the_header_only(
    hec: HecServer, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    trail = make_trail(4)
    cp = checkpoint_of(trail, 4).to_text()
    with caplog.at_level(logging.DEBUG):
        target = open_target(hec.url, hec_token=TOKEN, ca_file=pki.ca)
        try:
            target.send(trail[:2], [])
            target.send(trail[2:], [cp])
            target.send([], [])  # nothing to send: no request
        finally:
            target.close()
    assert len(hec.requests) == 2
    for request in hec.requests:
        assert request.path == "/services/collector/event"
        assert request.headers["Authorization"] == f"Splunk {TOKEN}"
        assert request.headers["Content-Type"] == "application/json"
    events = [e for r in hec.requests for e in r.events()]
    assert [e["event"]["seq"] for e in events[:4]] == [1, 2, 3, 4]
    assert [e["event"]["record_hash"] for e in events[:4]] == [r.record_hash for r in trail]
    assert events[4]["sourcetype"] == "conexor:checkpoint"
    assert events[4]["event"]["checkpoint"] == cp
    assert TOKEN not in repr(target) and TOKEN not in caplog.text


def test_hec_refusal_names_the_host_not_the_token(
    hec: HecServer, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    hec.status = 403
    target = open_target(hec.url, hec_token=TOKEN, ca_file=pki.ca)
    with caplog.at_level(logging.DEBUG), pytest.raises(ForwardError) as info:
        target.send(make_trail(1), [])
    target.close()
    assert (
        info.value.public
        == f"could not deliver audit records to {target.name}: it answered HTTP 403"
    )
    assert "localhost" in info.value.public
    assert TOKEN not in str(info.value) and TOKEN not in caplog.text


def test_hec_untrusted_certificate_is_refused(hec: HecServer) -> None:
    target = open_target(hec.url, hec_token=TOKEN)  # system CAs only
    with pytest.raises(ForwardError, match="certificate is not trusted") as info:
        target.send(make_trail(1), [])
    target.close()
    assert TOKEN not in info.value.public
    assert hec.requests == []


def test_hec_over_plain_http_only_when_unsafe_and_loopback(
    hec_http: HecServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = hec_http.url.replace("localhost", "127.0.0.1")
    with caplog.at_level(logging.WARNING, "conexor.forward"):
        target = open_target(url, hec_token=TOKEN, unsafe_allow_http=True)
    target.send(make_trail(1), [])
    target.close()
    assert "unsafe" in caplog.text
    assert hec_http.requests[0].headers["Authorization"] == f"Splunk {TOKEN}"


def test_unreachable_syslog_receiver(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here
    target = open_target(f"syslog+tcp://127.0.0.1:{port}")
    with pytest.raises(
        ForwardError, match=f"syslog\\+tcp://127.0.0.1:{port}: the connection was refused"
    ):
        target.send(make_trail(1), [])
