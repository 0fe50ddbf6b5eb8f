from __future__ import annotations

from conexor.server.ratelimit import FailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_limit_and_recovers_after_window() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, window_s=60, clock=clock)
    for _ in range(3):
        assert not limiter.blocked("1.2.3.4")
        limiter.fail("1.2.3.4")
    assert limiter.blocked("1.2.3.4")
    assert not limiter.blocked("5.6.7.8")
    clock.now += 61
    assert not limiter.blocked("1.2.3.4")
