"""The read cache: entries expire, a drop wins over a read that started before it."""

from __future__ import annotations

import threading

import anyio
import pytest

from conexor.store.readcache import ReadCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_hit_within_ttl_and_miss_after() -> None:
    clock = Clock()
    cache = ReadCache(ttl_s=1.0, clock=clock)
    loads: list[int] = []

    def load() -> str:
        loads.append(1)
        return f"v{len(loads)}"

    assert cache.get("k", load) == "v1"
    clock.now += 0.99
    assert cache.get("k", load) == "v1"
    clock.now += 0.02
    assert cache.get("k", load) == "v2"
    assert len(loads) == 2


def test_clear_drops_everything() -> None:
    cache = ReadCache(ttl_s=60.0)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.clear()
    assert len(cache) == 0
    assert cache.peek("a") == (False, None)
    assert cache.get("a", lambda: 3) == 3


def test_read_started_before_a_clear_does_not_refill() -> None:
    # A revocation lands while a slow read of the key's row is in flight: the
    # stale row must not be cached after the drop.
    cache = ReadCache(ttl_s=60.0)
    reading = threading.Event()
    dropped = threading.Event()

    def slow_load() -> str:
        reading.set()
        assert dropped.wait(5)
        return "before-revocation"

    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(cache.get("key", slow_load)))
    reader.start()
    assert reading.wait(5)
    cache.clear()
    dropped.set()
    reader.join(5)
    assert result == ["before-revocation"]  # that caller saw the old row once
    assert cache.peek("key") == (False, None)  # but nobody after it will
    assert cache.get("key", lambda: "after") == "after"


def test_failed_load_is_not_cached() -> None:
    cache = ReadCache(ttl_s=60.0)

    def missing() -> str:
        raise LookupError("no row")

    with pytest.raises(LookupError):
        cache.get("k", missing)
    assert cache.get("k", lambda: "found") == "found"


def test_bounded() -> None:
    cache = ReadCache(ttl_s=60.0, max_entries=10)
    for i in range(25):
        cache.get(i, lambda i=i: i)  # type: ignore[misc]
    assert len(cache) <= 10


def test_aget_hit_stays_on_the_loop_and_miss_loads_in_a_thread() -> None:
    cache = ReadCache(ttl_s=60.0)
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def load() -> int:
        threads.append(threading.get_ident())
        return 7

    async def main() -> tuple[int, int]:
        return await cache.aget("k", load), await cache.aget("k", load)

    assert anyio.run(main) == (7, 7)
    assert len(threads) == 1
    assert threads[0] != loop_thread
