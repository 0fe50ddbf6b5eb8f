"""Record every HTTP response the self-check receives: status, headers and body.

The recording sits at the transport layer, under the same clients the CLI
and the MCP client use, so it sees exactly the bytes the server sent. Bodies
are teed while the client reads them, which also works for streamed replies
(audit exports, event streams). Requests ask for ``identity`` encoding so a
body is searched as sent, not compressed; a gzip or deflate body from a proxy
that ignores that is decompressed before the search.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field

import httpx2

from conexor.selfcheck.errors import SelfcheckError
from conexor.selfcheck.scan import Haystack, text_haystack

__all__ = ["Exchange", "Recorder"]


@dataclass
class Exchange:
    """One request and the response to it, as received."""

    method: str
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytearray = field(default_factory=bytearray, repr=False)
    allowed: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        """How reports name this exchange: ``POST /api/v1/signup -> 201``."""
        return f"{self.method} {self.path} -> {self.status}"

    def decoded_body(self) -> bytes:
        """The body with a gzip or deflate content-encoding undone (as-is when that fails)."""
        encoding = next((v for k, v in self.headers if k.lower() == "content-encoding"), "")
        data = bytes(self.body)
        if encoding.lower() in ("gzip", "deflate"):
            try:
                return zlib.decompress(data, zlib.MAX_WBITS | 32)
            except zlib.error:
                return data
        return data

    def haystack(self) -> Haystack:
        """Status line, headers and body as one searchable text."""
        head = "".join(f"{k}: {v}\n" for k, v in self.headers)
        data = f"HTTP {self.status}\n{head}\n".encode("latin-1", "replace") + self.decoded_body()
        return text_haystack(self.name, "HTTP response", data, self.allowed)


class Recorder:
    """Collects exchanges from any number of clients (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.exchanges: list[Exchange] = []

    def transport(self) -> httpx2.BaseTransport:
        """A recording transport for a synchronous client."""
        return _SyncRecording(self, httpx2.HTTPTransport())

    def async_transport(self) -> httpx2.AsyncBaseTransport:
        """A recording transport for an asynchronous client (the MCP client)."""
        return _AsyncRecording(self, httpx2.AsyncHTTPTransport())

    def begin(self, request: httpx2.Request, response: httpx2.Response) -> Exchange:
        """Start recording the response to ``request``."""
        exchange = Exchange(
            method=request.method,
            path=request.url.raw_path.decode("ascii", "replace"),
            status=response.status_code,
            headers=list(response.headers.multi_items()),
        )
        with self._lock:
            self.exchanges.append(exchange)
        return exchange

    def allow(self, label: str, *, method: str, path: str) -> None:
        """Let canary ``label`` appear in the latest ``method path`` response (it issued it)."""
        with self._lock:
            for exchange in reversed(self.exchanges):
                if exchange.method == method and exchange.path.split("?")[0] == path:
                    exchange.allowed.add(label)
                    return
        raise SelfcheckError(f"no recorded response to {method} {path}")

    def haystacks(self) -> list[Haystack]:
        """Every response recorded so far, as haystacks."""
        with self._lock:
            return [e.haystack() for e in self.exchanges]


def _identity(request: httpx2.Request) -> None:
    request.headers["Accept-Encoding"] = "identity"


class _SyncTee(httpx2.SyncByteStream):
    def __init__(self, inner: Iterable[bytes], sink: bytearray) -> None:
        self._inner = inner
        self._sink = sink

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._sink += chunk
            yield chunk

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class _AsyncTee(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, sink: bytearray) -> None:
        self._inner = inner
        self._sink = sink

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._sink += chunk
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class _SyncRecording(httpx2.BaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx2.BaseTransport) -> None:
        self._recorder = recorder
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        _identity(request)
        response = self._inner.handle_request(request)
        exchange = self._recorder.begin(request, response)
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _SyncTee(response.stream, exchange.body)
        return response

    def close(self) -> None:
        self._inner.close()


class _AsyncRecording(httpx2.AsyncBaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx2.AsyncBaseTransport) -> None:
        self._recorder = recorder
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        _identity(request)
        response = await self._inner.handle_async_request(request)
        exchange = self._recorder.begin(request, response)
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        response.stream = _AsyncTee(response.stream, exchange.body)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
