"""An older backup restored into the store, then a split view: caught by saved checkpoints.

The attacker owns the store: they drop the append-only triggers, put back the
audit tables as an earlier backup held them (records, chain head, the
server's own checkpoints), and restart the server. The server then carries on
from the old head, so new records fill the same seq numbers and, once it
signs a checkpoint, it signs a different history for a size a customer
already holds. Only the checkpoints the customer saved outside the server see
it, on the SQLite and on the PostgreSQL store alike.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import LiveServer, run_live_server
from tests.integration.cli import add_db, call, run_cli, signup
from tests.integration.test_cloud_flow import make_sqlite

Sql = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]

#: The append-only guards of both audit tables (SQLite and PostgreSQL names).
_GUARDED = ("audit_records", "audit_checkpoints")
_TRIGGERS = ("no_update", "no_delete", "no_change", "no_truncate")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str | None, Sql]:
    """The store URL (None: SQLite in the data directory) and the attacker's raw SQL on it."""
    if request.param == "sqlite":
        path = tmp_path / "data" / "conexor.db"

        def sqlite_sql(statement: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as conn:
                return conn.execute(statement.replace("%s", "?"), args).fetchall()

        return None, sqlite_sql
    url = f"postgresql://postgres@127.0.0.1:5432/{request.getfixturevalue('pg_db')}"

    def pg_sql(statement: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(statement, args)
            return cur.fetchall() if cur.description else []

    return url, pg_sql


@contextmanager
def _server(tmp_path: Path, store_url: str | None) -> Iterator[LiveServer]:
    runner = run_live_server(tmp_path / "data", tmp_path / "server.log", store_url=store_url)
    try:
        yield next(runner)
    finally:
        next(runner, None)


def _drop_triggers(sql: Sql, dialect: str) -> None:
    for table in _GUARDED:
        for suffix in _TRIGGERS:
            on = "" if dialect == "sqlite" else f" ON {table}"
            sql(f"DROP TRIGGER IF EXISTS {table}_{suffix}{on}", ())


def _queries(live: LiveServer, key: str, *numbers: int) -> None:
    for n in numbers:
        result = call(live.url, key, "query", {"database": "shop", "sql": f"SELECT {n} AS n"})
        assert not result.is_error


def _save_checkpoint(env: dict[str, str], tmp_path: Path, name: str) -> tuple[Path, int]:
    path = tmp_path / name
    run_cli("audit", "checkpoint", "--save", str(path), "--key", str(tmp_path / "key.txt"), env=env)
    return path, int(path.read_text().splitlines()[1])


def _verify(env: dict[str, str], tmp_path: Path, *checkpoints: Path) -> Any:
    args = ["audit", "verify", "--key", str(tmp_path / "key.txt")]
    for cp in checkpoints:
        args += ["--checkpoint", str(cp)]
    return run_cli(*args, env=env, check=False)


def _error(stderr: str) -> str:
    """The CLI's one-line error, without its ``error: `` prefix (rich may wrap it)."""
    text = " ".join(stderr.split())
    assert text.startswith("error: "), stderr
    return text.removeprefix("error: ")


def test_restored_backup_and_split_view_are_caught(
    store: tuple[str | None, Sql], tmp_path: Path
) -> None:
    store_url, sql = store
    dialect = "sqlite" if store_url is None else "postgresql"
    with _server(tmp_path, store_url) as live:
        key = signup(live.url)["api_key"]
        assert add_db(live.url, key, "shop", make_sqlite(tmp_path / "shop.db")).returncode == 0
        env = {"CONEXOR_SERVER": live.url, "CONEXOR_API_KEY": key}
        run_cli("audit", "key", "--server", live.url, "--save", str(tmp_path / "key.txt"))
        _queries(live, key, 1, 2)
        _, old_size = _save_checkpoint(env, tmp_path, "cp-old.txt")

        # The attacker's backup of the audit tables, taken now.
        backup_head = sql("SELECT org_id, seq, head_hash FROM audit_heads", ())
        backup_last_checkpoint = sql("SELECT max(id) FROM audit_checkpoints", ())[0][0]

        _queries(live, key, 3, 4, 5)
        saved, size = _save_checkpoint(env, tmp_path, "cp-customer.txt")
        assert size == old_size + 3
        intact = _verify(env, tmp_path, saved)
        assert intact.returncode == 0, intact.stderr

    # Restore the backup: triggers dropped first, then the tables put back as they were.
    _drop_triggers(sql, dialect)
    sql("DELETE FROM audit_records WHERE seq > %s", (old_size,))
    sql("DELETE FROM audit_checkpoints WHERE id > %s", (backup_last_checkpoint,))
    for org_id, seq, head_hash in backup_head:
        sql(
            "UPDATE audit_heads SET seq = %s, head_hash = %s WHERE org_id = %s",
            (seq, head_hash, org_id),
        )

    with _server(tmp_path, store_url) as live:
        env = {"CONEXOR_SERVER": live.url, "CONEXOR_API_KEY": key}
        # 1. The restored trail is shorter than the customer's checkpoint.
        truncated = _verify(env, tmp_path, saved)
        assert truncated.returncode == 1
        assert _error(truncated.stderr) == (
            f"audit trail truncated: it ends at record {old_size} but a checkpoint covers "
            f"{size} records; records {old_size + 1} to {size} are missing"
        )
        # Without the customer's checkpoint the restored trail looks intact.
        assert _verify(env, tmp_path).returncode == 0

        # 2. The server carries on from the old head: the same seq numbers, other records.
        _queries(live, key, 30, 40, 50)
        rewritten = _verify(env, tmp_path, saved)
        assert rewritten.returncode == 1
        assert _error(rewritten.stderr) == (
            f"audit trail rewritten since the checkpoint of size {size}: the Merkle root "
            f"differs; the first changed record is between {old_size + 1} and {size}"
        )

        # 3. The server signs the new history at the size the customer holds: split view,
        # whichever side's checkpoint the customer presents first.
        forked, forked_size = _save_checkpoint(env, tmp_path, "cp-forked.txt")
        assert forked_size == size
        split = (
            "split view: two checkpoints of size "
            f"{size} have different roots; the log showed different histories to different readers"
        )
        for checkpoints in ((saved,), (saved, forked), (forked, saved)):
            result = _verify(env, tmp_path, *checkpoints)
            assert result.returncode == 1
            assert _error(result.stderr) == split
