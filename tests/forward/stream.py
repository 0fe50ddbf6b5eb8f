"""Shared steps of the end-to-end forwarding tests: make audit records, check what arrived."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner, Result

from conexor.audit import (
    AuditRecord,
    parse_checkpoint,
    parse_verifier,
    record_from_dict,
    verify_checkpoint,
    verify_trail,
)
from conexor.cli.audit import fetch_records
from conexor.cli.client import ApiClient
from conexor.cli.forward import forward_command
from conexor.forward import checkpoint_id
from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, signup

SD_ID = "conexor@32473"


@dataclass
class Account:
    """A signed-up account on a live server, with a database holding a canary value."""

    server: str
    key: str
    org_id: str
    canary: str
    calls: int = 0

    def env(self) -> dict[str, str]:
        """What the CLI reads."""
        return {"CONEXOR_SERVER": self.server, "CONEXOR_API_KEY": self.key}

    def make_calls(self, n: int) -> None:
        """``n`` tool calls, each leaving one audit record; the canary is in every result."""
        for _ in range(n):
            result = call(
                self.server, self.key, "query", {"database": "vault", "sql": "SELECT v FROM s"}
            )
            assert not result.is_error
            self.calls += 1

    def checkpoint(self) -> str:
        """Have the server sign a checkpoint now; return its text."""
        with ApiClient(self.server, self.key) as api:
            return str(api.request("POST", "/audit/checkpoints")["checkpoint"])

    def records(self) -> list[AuditRecord]:
        """The server's records for this organisation."""
        with ApiClient(self.server, self.key) as api:
            return list(fetch_records(api))

    def checkpoints(self) -> list[str]:
        """The server's checkpoints, newest first."""
        with ApiClient(self.server, self.key) as api:
            return list(
                api.request("GET", "/audit/checkpoints", params={"limit": 1000})["checkpoints"]
            )

    def public_key_text(self) -> str:
        """The published checkpoint-signing key."""
        with ApiClient(self.server) as api:
            return api.text("/.well-known/conexor-audit-key")


def make_account(live: LiveServer, tmp_path: Path) -> Account:
    """Sign up and add a SQLite database whose one row is a fresh canary value."""
    canary = f"CANARY-{secrets.token_hex(8)}"
    db = tmp_path / "vault.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE s (v TEXT)")
        conn.execute("INSERT INTO s VALUES (?)", (canary,))
    conn.close()
    data = signup(live.url)
    assert add_db(live.url, data["api_key"], "vault", f"sqlite:///{db}").returncode == 0
    with ApiClient(live.url, data["api_key"]) as api:
        org_id = str(api.request("GET", "/me")["org"]["id"])
    return Account(live.url, data["api_key"], org_id, canary)


def run_forward(args: list[str], env: dict[str, str]) -> Result:
    """``conexor audit forward ARGS`` in this process."""
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command()(forward_command)
    return CliRunner().invoke(app, args, env=env)


@dataclass
class Stream:
    """What a receiver got, decoded: records and checkpoint texts in arrival order."""

    records: list[AuditRecord]
    checkpoints: list[str]


def decode_syslog(messages: list[dict[str, Any]], org_id: str) -> Stream:
    """Check every rsyslog-parsed message's fields and decode the org's records and checkpoints."""
    records: list[AuditRecord] = []
    checkpoints: list[str] = []
    for m in messages:
        assert m["appname"] == "conexor"
        sd = m["sd"][SD_ID]
        body = json.loads(m["msg"])
        if m["msgid"] == "audit":
            rec = record_from_dict(body)
            if rec.org_id != org_id:
                continue
            # The structured data rsyslog parsed agrees with the record.
            assert sd["seq"] == str(rec.seq)
            assert sd["record_hash"] == rec.record_hash
            assert sd["prev_hash"] == rec.prev_hash
            assert sd["tool"] == rec.tool
            assert sd["outcome"] == rec.outcome
            assert sd["org_id"] == org_id
            assert m["pri"] == "110"  # log audit, informational (outcome ok)
            records.append(rec)
        else:
            assert m["msgid"] == "checkpoint"
            cp = parse_checkpoint(body["checkpoint"])
            if not cp.origin.endswith("/" + org_id):
                continue
            assert sd["origin"] == cp.origin
            assert sd["size"] == str(cp.size)
            assert sd["checkpoint_hash"] == checkpoint_id(cp)
            checkpoints.append(body["checkpoint"])
    return Stream(records, checkpoints)


def assert_exactly_once(stream: Stream, account: Account, issued: list[str]) -> None:
    """Every record once, in order, identical to the server's; checkpoints signed and consistent."""
    server_records = account.records()
    assert [r.seq for r in stream.records] == list(range(1, account.calls + 1))
    assert stream.records == server_records
    assert len(set(stream.checkpoints)) == len(stream.checkpoints), "a checkpoint came twice"
    assert set(issued) <= set(stream.checkpoints)
    assert set(stream.checkpoints) <= set(account.checkpoints())
    key = parse_verifier(account.public_key_text())
    cps = [parse_checkpoint(t) for t in stream.checkpoints]
    for cp in cps:
        verify_checkpoint(cp, key)
    # The forwarded stream alone verifies: chain, Merkle roots, signatures.
    verify_trail(stream.records, checkpoints=cps, public_key=key)
