from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from conexor.server.engines import EnginePool


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_idle_engines_are_disposed_and_keys_isolated(tmp_path: Path) -> None:
    clock = Clock()
    pool = EnginePool(idle_s=10, clock=clock)
    a = pool.put(("db", 1, "key-a"), create_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    assert pool.get(("db", 1, "key-a")) is a
    assert pool.get(("db", 1, "key-b")) is None  # another key never reuses it
    assert pool.get(("db", 2, "key-a")) is None  # nor another revision
    clock.now = 11
    pool.reap()
    assert pool.get(("db", 1, "key-a")) is None
    assert len(pool) == 0


def test_put_race_keeps_first_and_discard_by_predicate(tmp_path: Path) -> None:
    pool = EnginePool(idle_s=100)
    first = pool.put(("db", 1, "k"), create_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    second = pool.put(("db", 1, "k"), create_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    assert second is first
    pool.put(("other", 1, "k"), create_engine(f"sqlite:///{tmp_path / 'c.db'}"))
    pool.discard(lambda key: key[0] == "db")
    assert pool.get(("db", 1, "k")) is None
    assert pool.get(("other", 1, "k")) is not None
    pool.close()
    assert len(pool) == 0
