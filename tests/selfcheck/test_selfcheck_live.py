"""``conexor selfcheck exposure`` against live servers: every flow, zero leaks.

The SQLite-store run uses the library in-process with a PostgreSQL cloud
database (so the wrong-password flow runs); the PostgreSQL-store run goes
through the console script with a throwaway SQLite cloud database and
searches a ``pg_dump`` of the store.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conexor.logs import RedactingFormatter
from conexor.selfcheck import ExposureOptions, ExposureReport, run_exposure_check
from tests.conftest import LiveServer, run_live_server
from tests.integration.cli import run_cli
from tests.services import mariadb_admin_connection, unique

EVERY_FLOW = {
    "sign up",
    "unknown API key refused",
    "cloud database added and tested",
    "cloud queries",
    "unreachable postgresql host",
    "unreachable mysql host",
    "agent database and in-process agent",
    "agent queries",
    "agent token rotation",
    "API key rotation and revocation",
    "audit export, every format",
    "clean up",
    "control: requested rows seen in query responses",
}


def _production_log_format(log_path: Path) -> None:
    """Give the live server's log the formatter ``conexor server`` installs (level stays DEBUG).

    The server process logs through :class:`RedactingFormatter`; the test
    harness's plain formatter would report what production never writes.
    Keeping DEBUG makes the check stricter than production (INFO).
    """
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == log_path:
            handler.setFormatter(
                RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            return
    raise AssertionError("no log handler for the live server")


def _assert_clean(report: dict[str, Any] | ExposureReport) -> dict[str, Any]:
    data = report.to_json() if isinstance(report, ExposureReport) else report
    failed = [s for s in data["steps"] if s["status"] == "failed"]
    assert failed == [], failed
    assert data["hits"] == [], data["hits"]
    assert data["ok"] is True
    ran = {s["name"] for s in data["steps"] if s["status"] == "ok"}
    assert ran >= EVERY_FLOW, EVERY_FLOW - ran
    return data


@pytest.mark.mariadb
def test_selfcheck_on_a_sqlite_store(
    live_server: LiveServer, maria_db: str, tmp_path: Path
) -> None:
    """Cloud mode on MariaDB, whose password check is real (the local PostgreSQL trusts)."""
    _production_log_format(live_server.log_path)
    password = f"cnxcanary-maria-{secrets.token_hex(8)}"
    user = unique("cnx_selfcheck")
    work = tmp_path / "work"
    work.mkdir()
    with mariadb_admin_connection() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
        cur.execute(f"GRANT SELECT ON {maria_db}.* TO '{user}'@'%'")
    try:
        report = run_exposure_check(
            ExposureOptions(
                server=live_server.url,
                cloud_url=f"mysql://{user}:{password}@127.0.0.1:3306/{maria_db}",
                data_dir=live_server.data_dir,
                log_file=live_server.log_path,
                work_dir=work,
            )
        )
    finally:
        with mariadb_admin_connection() as conn, conn.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    data = _assert_clean(report)
    assert "wrong password" in {s["name"] for s in data["steps"] if s["status"] == "ok"}
    assert {"cloud database password", "wrong password", "agent token"} <= set(data["canaries"])
    kinds = {s["kind"]: s for s in data["scanned"]}
    assert kinds["HTTP response"]["items"] >= 40
    assert kinds["audit export"]["items"] == 5
    assert kinds["server log"]["size"] > 0
    store_files = {p.name for p in live_server.data_dir.iterdir()}
    assert "conexor.db" in store_files
    assert kinds["store file"]["items"] == len(
        [p for p in live_server.data_dir.rglob("*") if p.is_file()]
    )
    assert list(work.iterdir()) == []  # nothing local is left behind
    # On the server: no database, no usable key or agent token, only the audit trail.
    with sqlite3.connect(live_server.data_dir / "conexor.db") as store:
        assert store.execute("SELECT count(*) FROM databases").fetchone() == (0,)
        for table in ("api_keys", "agent_tokens"):
            active = f"SELECT count(*) FROM {table} WHERE revoked_at IS NULL"
            assert store.execute(active).fetchone() == (0,)
        assert store.execute("SELECT count(*) FROM audit_records").fetchone()[0] >= 15
    store.close()


@pytest.mark.postgres
def test_selfcheck_command_on_a_postgresql_store(pg_db: str, tmp_path: Path) -> None:
    """The console script, a throwaway SQLite cloud database, and a pg_dump of the store."""
    store_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_db}"
    server = run_live_server(tmp_path / "data", tmp_path / "server.log", store_url=store_url)
    live = next(server)
    _production_log_format(live.log_path)
    try:
        proc = run_cli(
            "selfcheck",
            "exposure",
            "--sqlite-dir",
            str(tmp_path),
            "--data-dir",
            str(live.data_dir),
            "--log",
            str(live.log_path),
            "--pg-dump",
            "--json",
            env={"CONEXOR_SERVER": live.url, "CONEXOR_STORE_URL": store_url},
            check=False,
        )
    finally:
        next(server, None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = _assert_clean(json.loads(proc.stdout))
    ok = {s["name"] for s in data["steps"] if s["status"] == "ok"}
    assert "control: organisation id found in the store" in ok
    assert [s["status"] for s in data["steps"] if s["name"] == "wrong password"] == ["skipped"]
    kinds = {s["kind"]: s for s in data["scanned"]}
    assert kinds["pg_dump"]["size"] > 10_000
    assert {"cloud unrequested row", "agent unrequested row", "rotated API key"} <= set(
        data["canaries"]
    )
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("selfcheck-")] == []


def test_selfcheck_fails_when_the_server_is_unreachable() -> None:
    """No server, no pass: the run fails (exit 1) instead of passing vacuously."""
    proc = run_cli("selfcheck", "exposure", "--server", "http://127.0.0.1:1", check=False)
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout and "sign up" in proc.stdout


def test_selfcheck_reports_a_key_the_server_logs(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plant a bug that logs every presented key: the check names the leak and fails."""
    import logging

    from conexor.server.auth import Authenticator

    real = Authenticator.authenticate

    def leaky(self: Authenticator, token: str | None, client: str) -> Any:
        logging.getLogger("conexor.bug").info("presented %s", token)
        return real(self, token, client)

    monkeypatch.setattr(Authenticator, "authenticate", leaky)
    report = run_exposure_check(
        ExposureOptions(server=live_server.url, log_file=live_server.log_path, work_dir=tmp_path)
    )
    assert not report.ok
    leaked = {(h.kind, h.canary) for h in report.hits}
    assert ("server log", "API key") in leaked
    assert ("server log", "rotated API key (secret part)") in leaked
    assert {h.kind for h in report.hits} == {"server log"}


def test_a_refused_mcp_session_is_one_safe_line(live_server: LiveServer) -> None:
    from conexor.crypto import generate_api_key
    from conexor.selfcheck import SelfcheckError
    from conexor.selfcheck.recorder import Recorder
    from conexor.selfcheck.session import ServerSession

    key = generate_api_key().text
    session = ServerSession(live_server.url, Recorder())
    with pytest.raises(SelfcheckError) as caught:
        session.tools(key, [("list_databases", {})])
    assert caught.value.public == "the MCP endpoint answered HTTP 401"
    assert [e.status for e in session.recorder.exchanges][:1] == [401]
