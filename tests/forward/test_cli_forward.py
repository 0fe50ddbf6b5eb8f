"""``conexor audit forward`` to an HTTP Event Collector: token from the environment only."""

from __future__ import annotations

from pathlib import Path

from conexor.audit import record_from_dict
from conexor.forward import ForwardError
from tests.conftest import LiveServer
from tests.forward.certs import Pki
from tests.forward.receivers import HecServer
from tests.forward.stream import Stream, assert_exactly_once, make_account, run_forward

TOKEN = "f3a9c1d2-6b7e-4c8d-9e0f-1a2b3c4d5e6f"


def test_forward_to_hec_resumes_and_never_shows_the_token(
    live_server: LiveServer, hec: HecServer, pki: Pki, tmp_path: Path
) -> None:
    account = make_account(live_server, tmp_path)
    account.make_calls(2)
    issued = [account.checkpoint()]
    env = {**account.env(), "CONEXOR_HEC_TOKEN": TOKEN}
    args = ["--to", hec.url, "--state", str(tmp_path / "hec.json"), "--ca-file", str(pki.ca)]

    first = run_forward(args, env)
    assert first.exit_code == 0, first.output
    account.make_calls(1)
    second = run_forward(args, env)
    assert second.exit_code == 0, second.output
    assert "forwarded 1 audit records" in second.output

    assert {r.headers["Authorization"] for r in hec.requests} == {f"Splunk {TOKEN}"}
    events = [e for r in hec.requests for e in r.events()]
    stream = Stream(
        records=[
            record_from_dict(e["event"]) for e in events if e["sourcetype"] == "conexor:audit"
        ],
        checkpoints=[
            e["event"]["checkpoint"] for e in events if e["sourcetype"] == "conexor:checkpoint"
        ],
    )
    assert_exactly_once(stream, account, issued)
    assert TOKEN not in first.output + second.output
    assert TOKEN not in live_server.log_path.read_text(encoding="utf-8")
    assert account.canary not in b"".join(r.body for r in hec.requests).decode("utf-8")


def test_hec_token_on_the_command_line_is_refused(
    live_server: LiveServer, hec: HecServer, tmp_path: Path
) -> None:
    env = {"CONEXOR_SERVER": live_server.url, "CONEXOR_API_KEY": "cnx_unused"}
    result = run_forward(["--to", hec.url, "--hec-token", TOKEN], env)
    assert result.exit_code != 0
    assert "CONEXOR_HEC_TOKEN" in str(result.exception)
    assert hec.requests == []


def test_hec_refusal_is_one_line_without_the_token(
    live_server: LiveServer, hec: HecServer, pki: Pki, tmp_path: Path
) -> None:
    account = make_account(live_server, tmp_path)
    account.make_calls(1)
    hec.status = 401
    env = {**account.env(), "CONEXOR_HEC_TOKEN": TOKEN}
    state = tmp_path / "hec.json"
    result = run_forward(["--to", hec.url, "--state", str(state), "--ca-file", str(pki.ca)], env)
    assert isinstance(result.exception, ForwardError)
    assert result.exception.public.endswith("it answered HTTP 401")
    assert TOKEN not in result.exception.public and TOKEN not in result.output
    assert not state.exists()
