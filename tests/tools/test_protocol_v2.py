"""Agent protocol version 2: bound parameters travel beside the SQL, only to agents that say v2."""

from __future__ import annotations

import json

import pytest

from conexor.agent.errors import ProtocolError
from conexor.agent.protocol import Hello, Job, dump, parse_agent_message, parse_server_message


def test_job_without_params_keeps_the_version_1_shape() -> None:
    frame = json.loads(dump(Job(id="j", sql="SELECT 1", policy={})))
    assert frame["v"] == 1 and "params" not in frame


def test_job_with_params_is_version_2_and_round_trips() -> None:
    job = Job(v=2, id="j", sql="SELECT $1, $2", policy={}, params=["DE", 3])
    assert parse_server_message(dump(job)) == job


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "job", "v": 1, "id": "j", "sql": "SELECT $1", "policy": {}, "params": ["x"]},
        {"type": "job", "v": 2, "id": "j", "sql": "SELECT $1", "policy": {}, "params": [{"a": 1}]},
        {"type": "job", "v": 2, "id": "j", "sql": "SELECT $1", "policy": {}, "params": [[1]]},
    ],
)
def test_malformed_parameter_jobs_are_refused(frame: dict[str, object]) -> None:
    with pytest.raises(ProtocolError):
        parse_server_message(json.dumps(frame))


def test_new_agents_say_version_2_and_old_hellos_still_parse() -> None:
    assert Hello(dialect="mysql", agent_version="x").v == 2
    old = {"type": "hello", "v": 1, "dialect": "mysql", "agent_version": "0.0.9"}
    hello = parse_agent_message(json.dumps(old))
    assert isinstance(hello, Hello) and hello.v == 1
