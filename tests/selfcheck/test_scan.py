"""The canary scanner finds every spelling of a planted canary, so a clean scan means something."""

from __future__ import annotations

import base64
import gzip
import string
import urllib.parse
from pathlib import Path

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conexor.selfcheck import Canary, Scanner, encoded_forms, store_haystacks, text_haystack
from conexor.selfcheck.canaries import new_canary_text
from conexor.selfcheck.recorder import Exchange, Recorder
from conexor.selfcheck.scan import CHUNK_BYTES, file_haystack

CANARY = Canary("db password", "cnxcanary-password-0123456789abcdef!*$(")


def _spellings(value: str) -> dict[str, bytes]:
    """Independent encodings of ``value`` as a leak would hold them, inside longer content."""
    raw = value.encode()
    out = {
        "raw": raw,
        "url-encoded": urllib.parse.quote(value, safe="").encode(),
        "form-encoded": urllib.parse.quote_plus(value).encode(),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }
    for pad in range(3):
        blob = b"x" * pad + raw + b"tail"
        out[f"base64 in a blob at offset {pad}"] = base64.b64encode(blob)
        out[f"base64url in a blob at offset {pad}"] = base64.urlsafe_b64encode(blob)
    return out


@pytest.mark.parametrize("spelling", sorted(_spellings(CANARY.value)))
def test_every_spelling_is_found_in_text(spelling: str) -> None:
    data = b'{"noise": "abc", "leak": "' + _spellings(CANARY.value)[spelling] + b'", "n": 1}'
    hits = Scanner([CANARY]).search(text_haystack("response", "HTTP response", data))
    assert [h.canary for h in hits if not h.expected] == ["db password"]


@pytest.mark.parametrize("spelling", sorted(_spellings(CANARY.value)))
def test_every_spelling_is_found_in_store_side_files(spelling: str, tmp_path: Path) -> None:
    (tmp_path / "conexor.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    side = {"raw": "-wal", "hex": "-journal"}.get(spelling, "-shm")
    (tmp_path / f"conexor.db{side}").write_bytes(b"\x00\x01" + _spellings(CANARY.value)[spelling])
    scanner = Scanner([CANARY])
    hits = scanner.search_all(store_haystacks(tmp_path))
    assert [h.where for h in hits] == [f"conexor.db{side}"]
    assert scanner.counts == {"store file": 2}


def test_a_canary_split_across_read_chunks_is_found(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    needle = CANARY.value.encode()
    path.write_bytes(b"a" * (CHUNK_BYTES - 5) + needle + b"b" * 10)
    hits = Scanner([CANARY]).search(file_haystack(path, "server log"))
    assert [(h.kind, h.encoding) for h in hits] == [("server log", "raw")]


def test_nothing_is_found_where_nothing_leaked() -> None:
    other = new_canary_text("password", symbols=True)
    data = b"".join(_spellings(other).values())
    assert Scanner([CANARY]).search(text_haystack("x", "HTTP response", data)) == []


def test_allowed_places_and_kinds_are_expected_not_leaks() -> None:
    key = Canary("API key", "cnx_" + "a" * 62)
    row = Canary("requested row", new_canary_text("row"), frozenset({"HTTP response"}))
    scanner = Scanner([key, row])
    issued = text_haystack("POST /api/v1/signup -> 201", "HTTP response", key.value, ["API key"])
    query = text_haystack("POST /mcp -> 200", "HTTP response", row.value)
    log = text_haystack("server log", "server log", row.value + key.value)
    hits = scanner.search_all([issued, query, log])
    assert {(h.where, h.canary) for h in hits if h.expected} == {
        ("POST /api/v1/signup -> 201", "API key"),
        ("POST /mcp -> 200", "requested row"),
    }
    assert {(h.where, h.canary) for h in hits if not h.expected} == {
        ("server log", "API key"),
        ("server log", "requested row"),
    }


@given(
    value=st.text(alphabet=string.printable, min_size=12, max_size=40),
    prefix=st.binary(max_size=7),
    suffix=st.binary(max_size=7),
    urlsafe=st.booleans(),
)
def test_base64_of_any_blob_containing_the_canary_is_found(
    value: str, prefix: bytes, suffix: bytes, urlsafe: bool
) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    blob = encode(prefix + value.encode() + suffix)
    forms = encoded_forms(value).values()
    assert any(form in blob for form in forms)


def test_forms_are_named_and_distinct() -> None:
    forms = encoded_forms(CANARY.value)
    assert {"raw", "url-encoded", "hex", "HEX", "base64@0", "base64@1", "base64@2"} <= set(forms)
    assert len(set(forms.values())) == len(forms)
    assert all(len(f) >= 16 for f in forms.values())
    assert "***" in repr(CANARY) and CANARY.value not in repr(CANARY)


def test_recorded_responses_are_searched_with_headers_and_decompressed_bodies() -> None:
    secret = new_canary_text("header")
    gz = Exchange(
        "GET", "/x", 200, [("content-encoding", "gzip")], bytearray(gzip.compress(secret.encode()))
    )
    header = Exchange("GET", "/y", 200, [("x-debug", secret)])
    hits = Scanner([Canary("c", secret)]).search_all([gz.haystack(), header.haystack()])
    assert sorted(h.where for h in hits) == ["GET /x -> 200", "GET /y -> 200"]


def test_the_recorder_sees_what_the_client_reads() -> None:
    secret = new_canary_text("body")

    class Streamed(httpx2.SyncByteStream):
        """Like a network stream: the body arrives in pieces as the client reads."""

        def __iter__(self):  # type: ignore[no-untyped-def]
            yield secret[:10].encode()
            yield secret[10:].encode()

    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.headers["accept-encoding"] == "identity"
        return httpx2.Response(201, headers={"x-a": "1"}, stream=Streamed())

    recorder = Recorder()
    from conexor.selfcheck.recorder import _SyncRecording

    with httpx2.Client(transport=_SyncRecording(recorder, httpx2.MockTransport(handler))) as http:
        assert http.post("http://test/api/v1/signup").text == secret
    recorder.allow("c", method="POST", path="/api/v1/signup")
    [exchange] = recorder.exchanges
    assert exchange.name == "POST /api/v1/signup -> 201"
    [hit] = Scanner([Canary("c", secret)]).search_all(recorder.haystacks())
    assert hit.expected
