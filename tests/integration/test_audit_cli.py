"""The audit trail through the CLI: checkpoints, verify, prove, tail, SIEM exports, tampering.

Tampering is done as an attacker with the store would: triggers dropped, rows
rewritten directly, on both the SQLite and the PostgreSQL store.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from conexor.audit import chain
from conexor.audit.export import record_from_dict
from tests.conftest import LiveServer, run_live_server
from tests.integration.cli import add_db, call, run_cli, signup
from tests.integration.test_cloud_flow import make_sqlite

Sql = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, Sql]]:
    """A live server on either store, and a raw SQL handle on that store (the attacker's)."""
    if request.param == "sqlite":
        import sqlite3

        server = run_live_server(tmp_path / "data", tmp_path / "server.log")
        live = next(server)

        def sql(statement: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            with sqlite3.connect(live.data_dir / "conexor.db") as conn:
                return conn.execute(statement.replace("%s", "?"), args).fetchall()

        yield live, sql
        next(server, None)
        return
    pg_db = request.getfixturevalue("pg_db")
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_db}"
    server = run_live_server(tmp_path / "data", tmp_path / "server.log", store_url=url)
    live = next(server)

    def pg_sql(statement: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(statement, args)
            return cur.fetchall() if cur.description else []

    yield live, pg_sql
    next(server, None)


def _calls(live: LiveServer, tmp_path: Path, n: int) -> tuple[str, dict[str, str]]:
    key = signup(live.url)["api_key"]
    assert add_db(live.url, key, "shop", make_sqlite(tmp_path / "shop.db")).returncode == 0
    for i in range(n):
        call(live.url, key, "query", {"database": "shop", "sql": f"SELECT {i} AS n"})
    return key, {"CONEXOR_SERVER": live.url, "CONEXOR_API_KEY": key}


def _drop_triggers(sql: Sql) -> None:
    names = (
        "audit_records_no_update",
        "audit_records_no_delete",
        "audit_records_no_change",
        "audit_records_no_truncate",
    )
    for name in names:
        try:
            sql(f"DROP TRIGGER IF EXISTS {name}", ())
        except Exception:
            sql(f"DROP TRIGGER IF EXISTS {name} ON audit_records", ())


def _verify(env: dict[str, str], tmp_path: Path, *checkpoints: Path) -> Any:
    args = ["audit", "verify", "--key", str(tmp_path / "key.txt")]
    for cp in checkpoints:
        args += ["--checkpoint", str(cp)]
    return run_cli(*args, env=env, check=False)


def test_checkpoint_verify_prove_tail_and_exports(
    store: tuple[LiveServer, Sql], tmp_path: Path
) -> None:
    live, _ = store
    key, env = _calls(live, tmp_path, 3)
    run_cli("audit", "key", "--server", live.url, "--save", str(tmp_path / "key.txt"), env=env)
    saved = tmp_path / "cp1.txt"
    run_cli(
        "audit", "checkpoint", "--save", str(saved), "--key", str(tmp_path / "key.txt"), env=env
    )
    assert saved.read_text().splitlines()[1] == "3"
    call(live.url, key, "query", {"database": "shop", "sql": "DELETE FROM orders"})

    ok = _verify(env, tmp_path, saved)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("audit trail intact: 4 records")

    proof = run_cli("audit", "prove", "2", "--key", str(tmp_path / "key.txt"), env=env)
    assert (
        "record 2 (query, ok" in proof.stdout
        and "included in the signed checkpoint" in proof.stdout
    )

    tail = run_cli("audit", "tail", "--no-follow", "--lines", "2", env=env).stdout.splitlines()
    assert [line.split()[0] for line in tail] == ["3", "4"]
    assert "rejected (deny." in tail[1]

    cef = run_cli("audit", "export", "--format", "cef", env=env).stdout.splitlines()
    assert len(cef) == 4 and all(line.startswith("CEF:0|") for line in cef)
    syslog = run_cli("audit", "export", "--format", "syslog", env=env).stdout.splitlines()
    assert len(syslog) == 4 and all(line.startswith("<") for line in syslog)
    ocsf = [
        json.loads(x)
        for x in run_cli("audit", "export", "--format", "ocsf", env=env).stdout.splitlines()
    ]
    assert {e["class_uid"] for e in ocsf} == {6005}
    only = run_cli("audit", "export", "--database", "shop", "--user", "alice@example.com", env=env)
    assert len(only.stdout.splitlines()) == 4
    none = run_cli("audit", "export", "--database", "other", env=env)
    assert none.stdout == ""
    bad = run_cli("audit", "export", "--since", "yesterday", env=env, check=False)
    assert bad.returncode == 1 and "since must be a time" in bad.stderr

    # Exports verify offline, without the server, against the saved checkpoint.
    key_file = str(tmp_path / "key.txt")
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"trail.{fmt}"
        run_cli("audit", "export", "--format", fmt, "--out", str(path), env=env)
        offline = run_cli(
            "audit", "verify-file", str(path), "--checkpoint", str(saved), "--key", key_file
        )
        assert offline.stdout.startswith("exported audit trail intact: 4 records"), offline.stderr
    csv_path = tmp_path / "trail.csv"
    lines = csv_path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace(",ok,", ",rejected,", 1)
    csv_path.write_text("".join(lines))
    tampered = run_cli("audit", "verify-file", str(csv_path), "--key", key_file, check=False)
    assert tampered.returncode == 1 and "broken at record 2" in tampered.stderr


def test_tampering_is_detected(store: tuple[LiveServer, Sql], tmp_path: Path) -> None:
    live, sql = store
    _, env = _calls(live, tmp_path, 4)
    run_cli("audit", "key", "--server", live.url, "--save", str(tmp_path / "key.txt"), env=env)
    saved = tmp_path / "cp.txt"
    run_cli(
        "audit", "checkpoint", "--save", str(saved), "--key", str(tmp_path / "key.txt"), env=env
    )
    assert _verify(env, tmp_path, saved).returncode == 0

    # A forged checkpoint (edited size) fails its signature.
    forged = tmp_path / "forged.txt"
    lines = saved.read_text().splitlines(keepends=True)
    lines[1] = "2\n"
    forged.write_text("".join(lines))
    bad = _verify(env, tmp_path, forged)
    assert bad.returncode == 1 and "signature" in bad.stderr

    _drop_triggers(sql)
    rows = sql("SELECT seq, body, record_hash FROM audit_records ORDER BY seq", ())
    records = []
    for _seq, body, record_hash in rows:
        data = json.loads(body)
        data["record_hash"] = record_hash
        records.append(record_from_dict(data))

    # 1. Change one field in place: the chain breaks at that record.
    tampered = json.loads(rows[1][1])
    tampered["row_count"] = 99
    sql("UPDATE audit_records SET body = %s WHERE seq = %s", (json.dumps(tampered), 2))
    broken = _verify(env, tmp_path)
    assert broken.returncode == 1
    assert "broken at record 2 (record_hash): field modified" in broken.stderr

    # 2. Change it and recompute every later hash: only the saved checkpoint catches it.
    prev = records[0].record_hash
    for rec in records[1:]:
        draft = rec.draft()
        if rec.seq == 2:
            draft = dataclasses.replace(draft, row_count=99)
        new = chain.seal(draft, seq=rec.seq, prev_hash=prev)
        body = json.dumps(new.body(), sort_keys=True, separators=(",", ":"))
        sql(
            "UPDATE audit_records SET body = %s, prev_hash = %s, record_hash = %s WHERE seq = %s",
            (body, new.prev_hash, new.record_hash, new.seq),
        )
        prev = new.record_hash
    sql("UPDATE audit_heads SET head_hash = %s", (prev,))
    rewritten = _verify(env, tmp_path, saved)
    assert rewritten.returncode == 1
    assert "rewritten since the checkpoint of size 4" in rewritten.stderr

    # 3. Cut the tail below the saved checkpoint.
    sql("DELETE FROM audit_records WHERE seq > 2", ())
    truncated = _verify(env, tmp_path, saved)
    assert truncated.returncode == 1
    assert "truncated: it ends at record 2 but a checkpoint covers 4" in truncated.stderr


@pytest.mark.parametrize("damage", ["delete", "swap", "insert"])
def test_more_store_tampering_is_detected(
    store: tuple[LiveServer, Sql], tmp_path: Path, damage: str
) -> None:
    """Deleting, swapping or inserting rows (triggers dropped) breaks the chain at the right record."""
    live, sql = store
    _, env = _calls(live, tmp_path, 4)
    run_cli("audit", "key", "--server", live.url, "--save", str(tmp_path / "key.txt"), env=env)
    _drop_triggers(sql)
    rows = sql("SELECT seq, body, prev_hash, record_hash, ts FROM audit_records ORDER BY seq", ())
    if damage == "delete":
        sql("DELETE FROM audit_records WHERE seq = %s", (2,))
        expected = "record 2"
    elif damage == "swap":
        (_, body2, prev2, hash2, _), (_, body3, prev3, hash3, _) = rows[1], rows[2]
        sql(
            "UPDATE audit_records SET body = %s, prev_hash = %s, record_hash = %s WHERE seq = 2",
            (body3, prev3, hash3),
        )
        sql(
            "UPDATE audit_records SET body = %s, prev_hash = %s, record_hash = %s WHERE seq = 3",
            (body2, prev2, hash2),
        )
        expected = "record 2"
    else:
        forged = json.loads(rows[-1][1])
        forged["seq"] = len(rows) + 1
        forged["prev_hash"] = rows[-1][3]
        forged["row_count"] = 0
        org_id = forged["org_id"]
        sql(
            "INSERT INTO audit_records (org_id, seq, ts, body, prev_hash, record_hash) VALUES (%s, %s, %s, %s, %s, %s)",
            (org_id, len(rows) + 1, rows[-1][4], json.dumps(forged), rows[-1][3], "ab" * 32),
        )
        expected = f"record {len(rows) + 1}"
    result = _verify(env, tmp_path)
    assert result.returncode == 1
    assert f"broken at {expected}" in result.stderr, result.stderr
