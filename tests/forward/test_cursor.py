"""The cursor file: 0600, atomic replacement, strict parsing, bound to one target."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conexor.forward import Cursor, ForwardError, Position

HASH_A = "a" * 64
HASH_B = "b" * 64


def test_missing_file_is_an_empty_cursor(tmp_path: Path) -> None:
    cursor = Cursor(tmp_path / "state.json")
    assert cursor.position("org_1") == Position(0, None)
    assert cursor.target is None
    assert not (tmp_path / "state.json").exists()


def test_advance_persists_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "state.json"
    cursor = Cursor(path)
    cursor.bind("syslog+tcp://siem:514")
    cursor.advance("org_1", Position(12, HASH_A))
    cursor.advance("org_2", Position(3, None))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Cursor(path)
    assert again.target == "syslog+tcp://siem:514"
    assert again.position("org_1") == Position(12, HASH_A)
    assert again.position("org_2") == Position(3, None)
    assert again.org_ids() == ["org_1", "org_2"]
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_existing_loose_permissions_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    Cursor(path).advance("org_1", Position(1))
    path.chmod(0o644)
    Cursor(path).advance("org_1", Position(2))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_failed_rename_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    cursor = Cursor(path)
    cursor.advance("org_1", Position(5, HASH_A))
    before = path.read_bytes()

    def fail(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(ForwardError, match="could not write the forward state file"):
        cursor.advance("org_1", Position(9, HASH_B))
    assert path.read_bytes() == before
    assert cursor.position("org_1") == Position(5, HASH_A)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_crash_during_fsync_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    cursor = Cursor(path)
    cursor.advance("org_1", Position(5))
    before = path.read_bytes()

    def killed(_fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        cursor.advance("org_1", Position(6))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert Cursor(path).position("org_1") == Position(5)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_never_moves_back(tmp_path: Path) -> None:
    cursor = Cursor(tmp_path / "state.json")
    cursor.advance("org_1", Position(5))
    with pytest.raises(ValueError, match="never moves back"):
        cursor.advance("org_1", Position(4))
    with pytest.raises(ValueError, match="64 lowercase hex"):
        cursor.advance("org_1", Position(6, "not-a-hash"))


def test_bound_to_one_target(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    cursor = Cursor(path)
    cursor.bind("syslog+tcp://a:514")
    cursor.advance("org_1", Position(1))
    again = Cursor(path)
    again.bind("syslog+tcp://a:514")
    with pytest.raises(ForwardError, match="belongs to syslog\\+tcp://a:514"):
        Cursor(path).bind("syslog+tls://b:6514")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json secret-value",
        b"[]",
        b'{"format": "other", "orgs": {}}',
        b'{"format": "conexor-forward-cursor/1", "orgs": {"o": {"last_seq": -1}}}',
        b'{"format": "conexor-forward-cursor/1", "orgs": {"o": {"last_seq": true}}}',
        b'{"format": "conexor-forward-cursor/1", "orgs": {"o": {"last_seq": 1.5}}}',
        b'{"format": "conexor-forward-cursor/1", "orgs": {"o": {"last_seq": 1, "last_checkpoint": "x"}}}',
        b'{"format": "conexor-forward-cursor/1", "target": 5, "orgs": {}}',
        b"\xff\xfe",
    ],
)
def test_damaged_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(ForwardError, match="is not valid") as info:
        Cursor(path)
    assert "secret-value" not in info.value.public


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["org_a", "org_b", "org_c"]), st.integers(0, 50), st.booleans()),
        max_size=12,
    )
)
def test_reload_sees_every_advance(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int, bool]]
) -> None:
    path = tmp_path_factory.mktemp("cursor") / "state.json"
    cursor = Cursor(path)
    expected: dict[str, Position] = {}
    for org, step, with_cp in steps:
        current = expected.get(org, Position())
        new = Position(current.last_seq + step, HASH_A if with_cp else current.last_checkpoint)
        cursor.advance(org, new)
        expected[org] = new
        reloaded = Cursor(path)
        assert {o: reloaded.position(o) for o in expected} == expected
    if steps:
        assert json.loads(path.read_text())["format"] == "conexor-forward-cursor/1"
