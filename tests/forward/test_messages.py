"""Message formats: RFC 5424 structured data escaping, RFC 6587 framing, HEC events."""

from __future__ import annotations

import dataclasses
import json
import re

from hypothesis import given
from hypothesis import strategies as st

from conexor.audit import (
    format_ts,
    parse_checkpoint,
    record_from_dict,
    verify_checkpoint,
)
from conexor.forward import (
    CHECKPOINT_SOURCETYPE,
    RECORD_SOURCETYPE,
    SyslogTarget,
    checkpoint_id,
    hec_checkpoint_event,
    hec_record_event,
    parse_target_url,
    syslog_checkpoint,
    syslog_record,
)
from conexor.forward.messages import hec_body, sd_escape
from tests.audit.audit_factory import SIGNER, checkpoint_of, make_trail

_HEADER = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
)


def parse_5424(message: str) -> tuple[dict[str, str], str, dict[str, dict[str, str]], str]:
    """A strict little RFC 5424 reader: header, SD elements (unescaped), MSG."""
    m = _HEADER.match(message)
    assert m, message[:80]
    rest = message[m.end() :]
    elements: dict[str, dict[str, str]] = {}
    while rest.startswith("["):
        sd_id, rest = rest[1:].split(" ", 1)
        params: dict[str, str] = {}
        while not rest.startswith("]"):
            name, rest = rest.split('="', 1)
            value, i = [], 0
            while rest[i] != '"':
                if rest[i] == "\\" and rest[i + 1] in '"\\]':
                    i += 1
                else:
                    # An unescaped ']' or '"' inside a value would end it early.
                    assert rest[i] not in '"]'
                value.append(rest[i])
                i += 1
            params[name] = "".join(value)
            rest = rest[i + 1 :].lstrip(" ")
        elements[sd_id] = params
        rest = rest[1:]
    assert rest.startswith(" ")
    return m.groupdict(), m.group("msgid"), elements, rest[1:]


def unframe(data: bytes) -> list[str]:
    """Split RFC 6587 octet-counted frames, checking every length."""
    out = []
    while data:
        length, rest = data.split(b" ", 1)
        assert length.isdigit() and not length.startswith(b"0")
        n = int(length)
        assert len(rest) >= n
        out.append(rest[:n].decode("utf-8"))
        data = rest[n:]
    return out


_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)


@given(_text)
def test_sd_escape_round_trips(value: str) -> None:
    escaped = sd_escape(value)
    assert re.search(r'(?<!\\)(?:\\\\)*["\]]', escaped) is None
    assert re.sub(r"\\([\\\"\]])", r"\1", escaped) == value


@given(user=_text, tool=_text, database=_text, error_code=_text, sql=_text)
def test_record_message_survives_any_text(
    user: str, tool: str, database: str, error_code: str, sql: str
) -> None:
    base = make_trail(1)[0]
    rec = dataclasses.replace(
        base,
        user=user,
        tool=tool,
        database=database,
        error_code=error_code,
        params={"sql": sql, 'odd]"\\': sql},
    )
    message = syslog_record(rec)
    assert "\n" not in message and "\r" not in message
    header, msgid, sd, msg = parse_5424(message)
    assert msgid == "audit" and header["app"] == "conexor"
    fields = sd["conexor@32473"]
    for name, value in (("user", user), ("tool", tool), ("database", database)):
        assert fields[name] == value.replace("\n", " ").replace("\r", " ")
    assert fields["seq"] == "1" and fields["record_hash"] == rec.record_hash
    assert record_from_dict(json.loads(msg)) == rec


def test_frames_count_utf8_bytes() -> None:
    trail = make_trail(3)
    trail[1] = dataclasses.replace(trail[1], user="zoë@例え.jp")
    cp = checkpoint_of(trail, 3).to_text()
    target = SyslogTarget(parse_target_url("syslog+tcp://127.0.0.1:514"))
    messages = unframe(target.frames(trail, [cp]))
    assert messages == [syslog_record(r) for r in trail] + [syslog_checkpoint(cp)]
    assert target.frames([], []) == b""


def test_checkpoint_message_carries_the_exact_signed_text() -> None:
    trail = make_trail(5)
    cp = checkpoint_of(trail, 5)
    text = cp.to_text()
    message = syslog_checkpoint(text, hostname="gw.example.com")
    assert "\n" not in message
    header, msgid, sd, msg = parse_5424(message)
    assert msgid == "checkpoint"
    assert header["host"] == "gw.example.com" and header["pri"] == "110"
    assert header["ts"] == format_ts(cp.time)
    fields = sd["conexor@32473"]
    assert fields["origin"] == cp.origin and fields["size"] == "5"
    assert fields["checkpoint_hash"] == checkpoint_id(cp)
    body = json.loads(msg)
    assert body["checkpoint"] == text
    verify_checkpoint(parse_checkpoint(body["checkpoint"]), SIGNER.verifier())


def test_hec_events() -> None:
    trail = make_trail(2)
    text = checkpoint_of(trail, 2).to_text()
    body = hec_body([hec_record_event(r) for r in trail] + [hec_checkpoint_event(text)])
    events = [json.loads(line) for line in body.decode("utf-8").splitlines()]
    assert [e["sourcetype"] for e in events] == [RECORD_SOURCETYPE] * 2 + [CHECKPOINT_SOURCETYPE]
    assert [record_from_dict(e["event"]) for e in events[:2]] == trail
    assert events[0]["time"] == trail[0].ts.timestamp()
    assert events[2]["event"]["checkpoint"] == text
    assert events[2]["event"]["size"] == 2
    assert hec_record_event(trail[0], host="gw")["host"] == "gw"
