"""The agent channel accepts only well-formed, versioned messages, each in its own direction."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conexor.agent.errors import ProtocolError
from conexor.agent.protocol import (
    Heartbeat,
    Hello,
    Job,
    Result,
    dump,
    parse_agent_message,
    parse_server_message,
)


def test_round_trips() -> None:
    hello = Hello(dialect="postgresql", agent_version="1.0")
    assert parse_agent_message(dump(hello)) == hello
    job = Job(id="j", sql="SELECT 1", max_rows=5, policy={})
    assert parse_server_message(dump(job)) == job
    assert parse_server_message(dump(Heartbeat())) == Heartbeat()


@pytest.mark.parametrize(
    "frame",
    [
        dump(Job(id="j", sql="SELECT 1", policy={})),  # a server message from an agent
        json.dumps({"type": "hello", "v": 3, "dialect": "postgresql", "agent_version": "1"}),
        json.dumps({"type": "hello", "v": 1, "dialect": "oracle", "agent_version": "1"}),
        json.dumps({"type": "tunnel", "v": 1, "host": "10.0.0.1", "port": 22}),
        json.dumps(
            {
                "type": "result",
                "v": 1,
                "id": "j",
                "columns": [],
                "rows": [],
                "row_count": -1,
                "truncated": False,
            }
        ),
        json.dumps({"type": "heartbeat", "v": 1, "extra": "field"}),
        "not json",
        "",
    ],
)
def test_server_refuses_anything_but_agent_messages(frame: str) -> None:
    with pytest.raises(ProtocolError):
        parse_agent_message(frame)


@pytest.mark.parametrize(
    "frame",
    [
        dump(Result(id="j", columns=[], rows=[], row_count=0, truncated=False)),
        json.dumps(
            {"type": "job", "v": 1, "id": "j", "sql": "SELECT 1", "max_rows": 0, "policy": {}}
        ),
        json.dumps({"type": "connect", "v": 1, "host": "db.internal", "port": 5432}),
    ],
)
def test_agent_refuses_anything_but_server_messages(frame: str) -> None:
    with pytest.raises(ProtocolError):
        parse_server_message(frame)


@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_arbitrary_frames_raise_only_protocol_errors(frame: str) -> None:
    for parse in (parse_agent_message, parse_server_message):
        with contextlib.suppress(ProtocolError):
            parse(frame)
