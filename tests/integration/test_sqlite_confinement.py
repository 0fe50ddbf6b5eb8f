"""A cloud-mode SQLite URL is a path on the server: it may only name files the operator allowed.

Regression: any organisation could register the server's own store as its
"database" and read other organisations' audit records and metadata.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conexor.sandbox import UnsupportedDatabaseUrl
from conexor.server.cloud import SqliteFiles
from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, signup, text_of
from tests.integration.test_cloud_flow import make_sqlite


def test_the_servers_own_store_cannot_be_registered_and_read(live_server: LiveServer) -> None:
    victim = signup(live_server.url, "victim@example.com")["api_key"]
    assert call(live_server.url, victim, "list_databases", {}).is_error is False  # audited
    attacker = signup(live_server.url, "mallory@example.com")["api_key"]
    store = live_server.data_dir / "conexor.db"
    # The CLI can read the file locally here; the server must still refuse to open it.
    assert add_db(live_server.url, attacker, "loot", f"sqlite:///{store}").returncode == 0
    stolen = call(
        live_server.url,
        attacker,
        "query",
        {"database": "loot", "sql": "SELECT email FROM users"},
    )
    assert stolen.is_error
    assert "CONEXOR_SQLITE_DIRS" in text_of(stolen)
    assert "victim@example.com" not in text_of(stolen)


def test_sqlite_files_rules(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    data = allowed / "data"
    data.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    files = SqliteFiles((allowed,), data)
    files.check(make_sqlite(allowed / "ok.db"))
    files.check("postgresql://u@h/db")  # not SQLite: not this rule's business
    (allowed / "link.db").symlink_to(data / "conexor.db")
    (allowed / "sub").mkdir()
    for url in (
        f"sqlite:///{data / 'conexor.db'}",  # the store, inside an allowed parent
        f"sqlite:///{allowed / 'link.db'}",  # a symlink into the data directory
        f"sqlite:///{outside / 'x.db'}",
        f"sqlite:///{allowed / 'sub' / '..' / '..' / 'elsewhere' / 'x.db'}",
        "sqlite:///relative.db",
    ):
        with pytest.raises(UnsupportedDatabaseUrl, match="CONEXOR_SQLITE_DIRS"):
            files.check(url)
    with pytest.raises(UnsupportedDatabaseUrl):
        SqliteFiles((), data).check(make_sqlite(allowed / "ok2.db"))
