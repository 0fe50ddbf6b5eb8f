"""The transports: syslog over TCP or TLS, and a Splunk-style HTTP Event Collector.

A target is opened from a URL:

* ``syslog+tcp://HOST[:PORT]`` (default port 514): RFC 5424 messages with
  RFC 6587 octet-counting framing.
* ``syslog+tls://HOST[:PORT]`` (default port 6514, RFC 5425): the same over
  TLS 1.2+, the certificate checked against the system CAs or ``ca_file`` and
  against the host name.
* ``https://HOST[:PORT]/services/collector/event``: HEC JSON events with
  ``Authorization: Splunk <token>``.

:meth:`Target.send` returns only once the receiver has taken the whole batch.
Syslog has no acknowledgements, so the syslog targets open one connection per
batch, send it, close their sending side and wait for the receiver to close
too: a receiver closes only after reading everything, while one that died
with data unread resets the connection. HEC answers each request, and only a
2xx answer counts.

Every failure is one :class:`ForwardError` naming the target by scheme, host
and port; the HEC token appears in no message, repr or log line.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

import httpx2

from conexor.audit import AuditRecord, octet_frame
from conexor.forward.errors import ForwardError
from conexor.forward.messages import (
    hec_body,
    hec_checkpoint_event,
    hec_record_event,
    syslog_checkpoint,
    syslog_record,
)

__all__ = [
    "HEC_PATH",
    "HecTarget",
    "Scheme",
    "SyslogTarget",
    "Target",
    "TargetUrl",
    "open_target",
    "parse_target_url",
]

log = logging.getLogger("conexor.forward")

Scheme = Literal["syslog+tcp", "syslog+tls", "https", "http"]
#: The Splunk HEC endpoint for JSON events.
HEC_PATH = "/services/collector/event"
_DEFAULT_PORTS: dict[str, int] = {"syslog+tcp": 514, "syslog+tls": 6514, "https": 443, "http": 80}
# A HEC token goes into a header: printable ASCII only, so it cannot split the header.
_TOKEN = re.compile(r"[!-~]{1,512}")


class Target(Protocol):
    """Somewhere audit records go. ``name`` is safe to log (no credentials)."""

    @property
    def name(self) -> str:
        """``scheme://host:port``, for messages and the cursor's binding."""
        ...

    def send(self, batch: Sequence[AuditRecord], checkpoints: Sequence[str]) -> None:
        """Deliver the records, then the signed checkpoint texts; raise ForwardError if not."""
        ...

    def close(self) -> None:
        """Release connections; the target may not be used afterwards."""
        ...


@dataclass(frozen=True)
class TargetUrl:
    """A parsed target URL; :attr:`name` is its safe display form."""

    scheme: Scheme
    host: str
    port: int
    path: str

    @property
    def name(self) -> str:
        """``scheme://host:port[/path]`` with IPv6 hosts in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path}"

    @property
    def is_loopback(self) -> bool:
        """True for ``localhost`` and loopback addresses."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_target_url(url: str) -> TargetUrl:
    """Parse and check a target URL; errors describe the problem, never echo the URL.

    User-info, query strings and fragments are refused: credentials belong in
    the environment (``CONEXOR_HEC_TOKEN``), not in a URL that ends up in
    process lists, shell history and logs.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ForwardError("the forward target is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ForwardError(
            "the forward target must start with syslog+tcp://, syslog+tls:// or https://"
        )
    if "@" in parts.netloc:
        raise ForwardError(
            "the forward target URL must not hold credentials; pass the HEC token "
            "in CONEXOR_HEC_TOKEN"
        )
    if parts.query or parts.fragment:
        raise ForwardError("the forward target URL must not have a query string or fragment")
    host = (parts.hostname or "").lower()
    if not host:
        raise ForwardError("the forward target URL has no host")
    path = parts.path
    if scheme.startswith("syslog+"):
        if path not in ("", "/"):
            raise ForwardError("a syslog forward target has no path: use syslog+tcp://HOST:PORT")
        path = ""
    elif not path.endswith(HEC_PATH):
        raise ForwardError(f"an HTTP Event Collector target's path must end in {HEC_PATH}")
    return TargetUrl(
        scheme=scheme,  # type: ignore[arg-type]
        host=host,
        port=port or _DEFAULT_PORTS[scheme],
        path=path,
    )


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verify the peer and its host name, against ``ca_file`` or the system CAs; TLS 1.2+."""
    try:
        ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
    except (OSError, ssl.SSLError):
        raise ForwardError("could not read the CA file for the forward target") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class SyslogTarget:
    """RFC 5424 over TCP (or TLS when ``tls`` is given), RFC 6587 octet counting.

    One connection per batch: connect, send every frame, close the sending
    side and wait until the receiver closes as well (see the module docstring).
    """

    def __init__(
        self,
        url: TargetUrl,
        *,
        tls: ssl.SSLContext | None = None,
        timeout_s: float = 10.0,
        hostname: str = "-",
    ) -> None:
        self._url = url
        self._tls = tls
        self._timeout_s = timeout_s
        self._hostname = hostname

    @property
    def name(self) -> str:
        """``syslog+tcp://host:port`` or ``syslog+tls://host:port``."""
        return self._url.name

    def __repr__(self) -> str:
        return f"SyslogTarget({self.name!r})"

    def frames(self, batch: Sequence[AuditRecord], checkpoints: Sequence[str]) -> bytes:
        """The bytes one ``send`` writes: every record, then every checkpoint, octet-counted."""
        messages = [syslog_record(r, hostname=self._hostname) for r in batch]
        messages += [syslog_checkpoint(t, hostname=self._hostname) for t in checkpoints]
        return b"".join(octet_frame(m) for m in messages)

    def send(self, batch: Sequence[AuditRecord], checkpoints: Sequence[str]) -> None:
        """Deliver one batch over a fresh connection; raise ForwardError unless it was taken."""
        data = self.frames(batch, checkpoints)
        if not data:
            return
        try:
            with socket.create_connection(
                (self._url.host, self._url.port), timeout=self._timeout_s
            ) as raw:
                if self._tls is None:
                    raw.sendall(data)
                    raw.shutdown(socket.SHUT_WR)
                    _await_close(raw)
                    return
                with self._tls.wrap_socket(raw, server_hostname=self._url.host) as tls:
                    tls.sendall(data)
                    _await_tls_close(tls)
        except ssl.SSLCertVerificationError:
            raise self._failed(
                "its TLS certificate is not trusted or does not match the host name"
            ) from None
        except ssl.SSLError:
            raise self._failed("the TLS connection failed") from None
        except TimeoutError:
            raise self._failed("it timed out") from None
        except ConnectionRefusedError:
            raise self._failed("the connection was refused") from None
        except ConnectionResetError:
            raise self._failed("the receiver reset the connection") from None
        except socket.gaierror:
            raise self._failed("the host name does not resolve") from None
        except OSError:
            raise self._failed("of a network error") from None

    def _failed(self, why: str) -> ForwardError:
        return ForwardError(f"could not deliver audit records to {self.name}: {why}")

    def close(self) -> None:
        """Nothing to release: each batch uses its own connection."""


def _await_close(sock: socket.socket) -> None:
    """Read until the peer closes: proof that it read everything sent before our FIN."""
    while sock.recv(4096):
        pass


def _await_tls_close(tls: ssl.SSLSocket) -> None:
    """Send close_notify and wait for the peer to end the session.

    Receivers such as rsyslog answer close_notify by closing the TCP
    connection without a close_notify of their own; that end of stream comes
    after they read all our records, so it counts as confirmation too.
    """
    try:
        raw = tls.unwrap()
    except ssl.SSLEOFError:
        return
    except ssl.SSLZeroReturnError:
        return
    raw.shutdown(socket.SHUT_WR)
    _await_close(raw)


class HecTarget:
    """Splunk-style HTTP Event Collector: one POST of JSON events per batch.

    The token lives only in the client's default headers; it is in no
    message, repr or log line. Redirects are not followed, so the token
    cannot be sent on to another host.
    """

    def __init__(
        self,
        url: TargetUrl,
        token: str,
        *,
        verify: ssl.SSLContext | bool = True,
        timeout_s: float = 10.0,
        host: str | None = None,
    ) -> None:
        self._url = url
        self._host = host
        self._http = httpx2.Client(
            headers={
                "Authorization": f"Splunk {token}",
                "Content-Type": "application/json",
                "User-Agent": "conexor-forward",
            },
            verify=verify,
            timeout=timeout_s,
            follow_redirects=False,
            trust_env=False,
        )

    @property
    def name(self) -> str:
        """``https://host:port/services/collector/event``."""
        return self._url.name

    def __repr__(self) -> str:
        return f"HecTarget({self.name!r})"

    def send(self, batch: Sequence[AuditRecord], checkpoints: Sequence[str]) -> None:
        """POST the batch as one request; raise ForwardError unless HEC answers 2xx."""
        events = [hec_record_event(r, host=self._host) for r in batch]
        events += [hec_checkpoint_event(t, host=self._host) for t in checkpoints]
        if not events:
            return
        try:
            response = self._http.post(self.name, content=hec_body(events))
        except httpx2.TimeoutException:
            raise self._failed("it timed out") from None
        except httpx2.ConnectError as exc:
            if isinstance(exc.__context__, ssl.SSLCertVerificationError) or "CERTIFICATE" in str(
                exc
            ):
                raise self._failed(
                    "its TLS certificate is not trusted or does not match the host name"
                ) from None
            raise self._failed("the connection failed") from None
        except httpx2.HTTPError:
            raise self._failed("of a network error") from None
        if not 200 <= response.status_code < 300:
            raise self._failed(f"it answered HTTP {response.status_code}")

    def _failed(self, why: str) -> ForwardError:
        return ForwardError(f"could not deliver audit records to {self.name}: {why}")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()


def open_target(
    url: str,
    *,
    hec_token: str | None = None,
    ca_file: Path | None = None,
    timeout_s: float = 10.0,
    hostname: str = "-",
    unsafe_allow_http: bool = False,
) -> Target:
    """Open the target a URL names (see the module docstring for the schemes).

    ``hec_token`` is required for HEC and comes from the caller (the CLI and
    the server read ``CONEXOR_HEC_TOKEN``). ``ca_file`` trusts a private CA
    for ``syslog+tls`` and ``https``. ``hostname`` is the syslog HOSTNAME
    field (``-`` for none). ``unsafe_allow_http`` permits plain ``http://``
    HEC to a loopback address only, for tests; it logs a warning.
    """
    target = parse_target_url(url)
    if timeout_s <= 0:
        raise ForwardError("the forward timeout must be positive")
    if target.scheme == "syslog+tcp":
        if ca_file is not None:
            raise ForwardError("a CA file applies only to syslog+tls:// and https:// targets")
        return SyslogTarget(target, timeout_s=timeout_s, hostname=_hostname(hostname))
    if target.scheme == "syslog+tls":
        return SyslogTarget(
            target, tls=_tls_context(ca_file), timeout_s=timeout_s, hostname=_hostname(hostname)
        )
    if hec_token is None or not hec_token:
        raise ForwardError("an HTTP Event Collector target needs a token in CONEXOR_HEC_TOKEN")
    if _TOKEN.fullmatch(hec_token) is None:
        raise ForwardError("the HEC token must be printable ASCII without spaces")
    host = None if hostname == "-" else hostname
    if target.scheme == "http":
        if not (unsafe_allow_http and target.is_loopback):
            raise ForwardError("an HTTP Event Collector target must use https://")
        log.warning("forwarding audit records over plain HTTP to %s (unsafe)", target.name)
        return HecTarget(target, hec_token, verify=False, timeout_s=timeout_s, host=host)
    return HecTarget(
        target, hec_token, verify=_tls_context(ca_file), timeout_s=timeout_s, host=host
    )


def _hostname(value: str) -> str:
    if value != "-" and re.fullmatch(r"[!-~]{1,255}", value) is None:
        raise ForwardError("the syslog host name must be 1-255 printable ASCII characters")
    return value
