"""The forward loop: order, checkpoints in the stream, resume after failures and crashes."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conexor.audit import GENESIS, AuditRecord, parse_checkpoint, seal
from conexor.forward import Cursor, Forwarder, ForwardError, checkpoint_id
from tests.audit.audit_factory import checkpoint_of, make_draft


def org_trail(org_id: str, n: int) -> list[AuditRecord]:
    """A sealed trail of ``n`` records for ``org_id``."""
    out: list[AuditRecord] = []
    prev = GENESIS
    for i in range(n):
        rec = seal(dataclasses.replace(make_draft(i), org_id=org_id), seq=i + 1, prev_hash=prev)
        out.append(rec)
        prev = rec.record_hash
    return out


class MemorySource:
    """An AuditSource over lists: trails grow with ``extend``, checkpoints with ``checkpoint``."""

    def __init__(self) -> None:
        self.trails: dict[str, list[AuditRecord]] = {}
        self.cps: dict[str, list[str]] = {}

    def extend(self, org_id: str, n: int) -> None:
        self.trails[org_id] = org_trail(org_id, len(self.trails.get(org_id, [])) + n)

    def checkpoint(self, org_id: str, seconds: int = 0) -> str:
        trail = self.trails[org_id]
        text = checkpoint_of(trail, len(trail), seconds=seconds).to_text()
        self.cps.setdefault(org_id, []).append(text)
        return text

    def org_ids(self) -> list[str]:
        return sorted(self.trails)

    def records(self, org_id: str, *, after_seq: int, limit: int) -> list[AuditRecord]:
        return [r for r in self.trails[org_id] if r.seq > after_seq][:limit]

    def checkpoints(self, org_id: str, *, limit: int) -> list[str]:
        return list(reversed(self.cps.get(org_id, [])))[:limit]


class Boom(Exception):
    """Stands in for the process dying at a chosen point."""


class RecordingTarget:
    """A Target that keeps what it got; ``fail_at`` refuses that call number (1-based)."""

    name = "syslog+tcp://siem.test:514"

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls = 0
        self.fail_at = fail_at
        self.stream: list[tuple[str, object]] = []  # ("record", record) or ("checkpoint", text)
        self.batches: list[list[int]] = []

    def send(self, batch: Sequence[AuditRecord], checkpoints: Sequence[str]) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise ForwardError("could not deliver audit records to syslog+tcp://siem.test:514")
        self.batches.append([r.seq for r in batch])
        self.stream += [("record", r) for r in batch] + [("checkpoint", t) for t in checkpoints]

    def close(self) -> None:
        pass

    def records(self) -> list[AuditRecord]:
        return [item for kind, item in self.stream if kind == "record"]  # type: ignore[misc]

    def checkpoint_texts(self) -> list[str]:
        return [item for kind, item in self.stream if kind == "checkpoint"]  # type: ignore[misc]


def test_forwards_everything_in_order_with_checkpoints_after_their_records(tmp_path: Path) -> None:
    source = MemorySource()
    source.extend("org_7Qx2", 5)
    cp5 = source.checkpoint("org_7Qx2")
    source.extend("org_7Qx2", 7)
    cp12 = source.checkpoint("org_7Qx2", seconds=1)
    target = RecordingTarget()
    fwd = Forwarder(source, target, Cursor(tmp_path / "s.json"), batch=4)
    assert fwd.forward_once() == 12
    assert target.records() == source.trails["org_7Qx2"]
    assert target.batches == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    # A checkpoint of size N comes right after the batch holding record N.
    kinds = [k if k == "checkpoint" else item.seq for k, item in target.stream]  # type: ignore[union-attr]
    assert kinds == [1, 2, 3, 4, 5, 6, 7, 8, "checkpoint", 9, 10, 11, 12, "checkpoint"]
    assert target.checkpoint_texts() == [cp5, cp12]
    pos = Cursor(tmp_path / "s.json").position("org_7Qx2")
    assert pos.last_seq == 12 and pos.last_checkpoint == checkpoint_id(parse_checkpoint(cp12))
    assert fwd.forward_once() == 0
    assert target.calls == 3


def test_new_records_and_heartbeats_continue_after_restart(tmp_path: Path) -> None:
    source = MemorySource()
    source.extend("org_7Qx2", 3)
    source.extend("org_b", 2)
    source.checkpoint("org_7Qx2")
    first = RecordingTarget()
    assert Forwarder(source, first, Cursor(tmp_path / "s.json")).forward_once() == 5
    source.extend("org_7Qx2", 2)
    heartbeat = source.checkpoint("org_b", seconds=30)  # same size, later time
    second = RecordingTarget()
    assert Forwarder(source, second, Cursor(tmp_path / "s.json")).forward_once() == 2
    assert [r.seq for r in second.records()] == [4, 5]
    assert second.checkpoint_texts() == [heartbeat]


def test_a_checkpoint_waits_for_its_records(tmp_path: Path) -> None:
    source = MemorySource()
    source.extend("org_7Qx2", 3)
    cp = source.checkpoint("org_7Qx2")
    # The source shows the checkpoint but not yet its records (read in between).
    source.trails["org_7Qx2"] = source.trails["org_7Qx2"][:2]
    target = RecordingTarget()
    fwd = Forwarder(source, target, Cursor(tmp_path / "s.json"))
    fwd.forward_once()
    assert target.checkpoint_texts() == []
    source.extend("org_7Qx2", 1)
    fwd.forward_once()
    assert target.checkpoint_texts() == [cp]
    assert [r.seq for r in target.records()] == [1, 2, 3]


def test_refused_batch_is_sent_again_and_nothing_is_lost(tmp_path: Path) -> None:
    source = MemorySource()
    source.extend("org_7Qx2", 10)
    target = RecordingTarget(fail_at=2)
    with pytest.raises(ForwardError):
        Forwarder(source, target, Cursor(tmp_path / "s.json"), batch=4).forward_once()
    assert Cursor(tmp_path / "s.json").position("org_7Qx2").last_seq == 4
    target.fail_at = None
    Forwarder(source, target, Cursor(tmp_path / "s.json"), batch=4).forward_once()
    assert target.records() == source.trails["org_7Qx2"]  # each exactly once


def test_crash_between_delivery_and_cursor_write_repeats_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = MemorySource()
    source.extend("org_7Qx2", 10)
    target = RecordingTarget()
    writes = 0
    real_advance = Cursor.advance

    def dying_advance(self: Cursor, org_id: str, position: object) -> None:
        nonlocal writes
        writes += 1
        if writes == 2:
            raise Boom  # killed after the target took batch 2, before the cursor was written
        real_advance(self, org_id, position)  # type: ignore[arg-type]

    monkeypatch.setattr(Cursor, "advance", dying_advance)
    with pytest.raises(Boom):
        Forwarder(source, target, Cursor(tmp_path / "s.json"), batch=4).forward_once()
    monkeypatch.undo()
    Forwarder(source, target, Cursor(tmp_path / "s.json"), batch=4).forward_once()
    seqs = [r.seq for r in target.records()]
    assert sorted(set(seqs)) == list(range(1, 11))  # nothing lost
    assert target.batches == [[1, 2, 3, 4], [5, 6, 7, 8], [5, 6, 7, 8], [9, 10]]
    # A receiver deduplicating on (org_id, seq, record_hash) ends with the exact trail.
    unique = {(r.org_id, r.seq, r.record_hash): r for r in target.records()}
    assert list(unique.values()) == source.trails["org_7Qx2"]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=5),
    batch=st.integers(1, 6),
    faults=st.lists(st.tuples(st.integers(1, 6), st.booleans()), max_size=4),
)
def test_any_mix_of_failures_delivers_everything(
    tmp_path_factory: pytest.TempPathFactory,
    sizes: list[int],
    batch: int,
    faults: list[tuple[int, bool]],
) -> None:
    """Grow the trail in steps; at each step a send may fail or the process may die after it."""
    state = tmp_path_factory.mktemp("fwd") / "s.json"
    source = MemorySource()
    target = RecordingTarget()
    crashes_after_send = 0
    for i, n in enumerate(sizes):
        source.extend("org_7Qx2", n)
        source.checkpoint("org_7Qx2", seconds=i)
        fault = faults[i] if i < len(faults) else None
        cursor = Cursor(state)
        if fault is not None and fault[1]:
            # Die after the fault[0]-th delivery, before its cursor write.
            deliveries = 0
            real = cursor.advance

            def dying(
                org_id: str, position: object, *, _at: int = fault[0], _real: object = real
            ) -> None:
                nonlocal deliveries
                deliveries += 1
                if deliveries == _at:
                    raise Boom
                _real(org_id, position)  # type: ignore[operator]

            cursor.advance = dying  # type: ignore[method-assign]
        target.fail_at = target.calls + fault[0] if fault is not None and not fault[1] else None
        try:
            Forwarder(source, target, cursor, batch=batch).forward_once()
        except Boom:
            crashes_after_send += 1
        except ForwardError:
            pass
    target.fail_at = None
    Forwarder(source, target, Cursor(state), batch=batch).forward_once()
    trail = source.trails["org_7Qx2"]
    seqs = [r.seq for r in target.records()]
    assert sorted(set(seqs)) == [r.seq for r in trail]
    assert len(seqs) - len(trail) <= crashes_after_send * batch
    texts = target.checkpoint_texts()
    assert set(texts) == set(source.cps["org_7Qx2"])
    assert len(texts) - len(set(texts)) <= crashes_after_send * len(sizes)
    # Every checkpoint arrives after the record it covers.
    seen = 0
    for kind, item in target.stream:
        if kind == "record":
            seen = max(seen, item.seq)  # type: ignore[union-attr]
        else:
            assert parse_checkpoint(item).size <= seen  # type: ignore[arg-type]


def test_malformed_checkpoint_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = MemorySource()
    source.extend("org_7Qx2", 2)
    source.cps["org_7Qx2"] = ["not a checkpoint secret-text"]
    good = source.checkpoint("org_7Qx2")
    target = RecordingTarget()
    with caplog.at_level(logging.WARNING, "conexor.forward"):
        Forwarder(source, target, Cursor(tmp_path / "s.json")).forward_once()
    assert target.checkpoint_texts() == [good]
    assert "malformed" in caplog.text and "secret-text" not in caplog.text


def test_cursor_of_another_target_is_refused(tmp_path: Path) -> None:
    cursor = Cursor(tmp_path / "s.json")
    cursor.bind("syslog+tls://other:6514")
    with pytest.raises(ForwardError, match="belongs to"):
        Forwarder(MemorySource(), RecordingTarget(), cursor)


class RecordingStop(threading.Event):
    """A stop event whose waits return at once, recording the delays asked for."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.delays: list[float] = []
        self.rounds = rounds

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.delays.append(timeout)
        if len(self.delays) >= self.rounds:
            self.set()
        return self.is_set()


class FlakySource(MemorySource):
    """Raises a foreign error holding a secret for the first ``failures`` passes."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def org_ids(self) -> list[str]:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("postgresql://admin:hunter2@db/prod")
        return super().org_ids()


def test_run_backs_off_and_recovers_without_leaking(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = FlakySource(failures=5)
    source.extend("org_7Qx2", 3)
    target = RecordingTarget()
    stop = RecordingStop(rounds=8)
    with caplog.at_level(logging.DEBUG, "conexor.forward"):
        Forwarder(source, target, Cursor(tmp_path / "s.json")).run(stop, 0.5, max_backoff_s=6.0)
    # First failure retries at the normal pace, then doubles up to the cap, then resets.
    assert stop.delays == [0.5, 1.0, 2.0, 4.0, 6.0, 0.5, 0.5, 0.5]
    assert len(target.records()) == 3
    assert "hunter2" not in caplog.text
    assert "internal error (RuntimeError)" in caplog.text
    assert "resumed" in caplog.text


def test_run_logs_target_failures_by_public_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = MemorySource()
    source.extend("org_7Qx2", 1)
    target = RecordingTarget(fail_at=1)
    with caplog.at_level(logging.WARNING, "conexor.forward"):
        Forwarder(source, target, Cursor(tmp_path / "s.json")).run(RecordingStop(2), 1.0)
    assert "could not deliver audit records to syslog+tcp://siem.test:514" in caplog.text
    assert len(target.records()) == 1
