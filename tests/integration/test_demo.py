"""``conexor demo`` runs the tour against a real server and prints client configurations."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.integration.cli import run_cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_tour(tmp_path: Path) -> None:
    proc = run_cli("demo", "--no-serve", "--data-dir", str(tmp_path), "--port", "0")
    out = proc.stdout
    assert "Added database 'shop'" in out
    assert "server on http://127.0.0.1:0" not in out  # the real port is shown
    for tool in ("list_databases", "list_tables", "describe_table", "query"):
        assert tool in out
    assert "Audit records of these calls" in out
    assert "only a single read-only SELECT statement is allowed" in out  # the DELETE the tour tries
    assert "Claude Desktop" in out and "Cursor" in out and "VS Code" in out
    assert (tmp_path / "sample" / "shop.db").exists()
    # Only ciphertext reached the store: the sample path is in the URL, and the URL is sealed.
    needle = str(tmp_path / "sample" / "shop.db").encode()
    for path in (tmp_path / "server").iterdir():
        assert needle not in path.read_bytes(), path.name
