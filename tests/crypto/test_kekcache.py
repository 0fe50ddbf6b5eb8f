"""KekCache: isolation between keys, TTL, LRU bound, revocation, threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from conexor.crypto import (
    DecryptionFailed,
    Envelope,
    Kek,
    KekCache,
    WeakKdfParams,
    Wrap,
    unseal_with_kek,
)
from conexor.crypto import kekcache as kekcache_module
from conexor.crypto.apikeys import _make_api_key
from conexor.crypto.envelope import derive_kek as real_derive_kek

from .conftest import ALICE, BOB, CAROL, CTX, PLAINTEXT, fixed_key

# Same key id as ALICE, different secret.
IMPOSTOR = _make_api_key(key_id=ALICE.key_id, secret=b"\x01" * 32)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingDerive:
    """Wraps a derive function and counts calls (keys are real or fake)."""

    def __init__(self, real: bool) -> None:
        self.calls = 0
        self.real = real
        self._derive = real_derive_kek

    def __call__(self, env: Envelope, key: Any) -> Kek:
        self.calls += 1
        if self.real:
            return self._derive(env, key)
        wrap = env.wrap_for(key.key_id)
        assert wrap is not None
        return Kek(key_id=key.key_id, salt=wrap.salt, iterations=wrap.iterations, key=bytes(32))


def _fake_envelope(*keys: Any, iterations: int = 600_000) -> Envelope:
    """An envelope whose wraps are placeholders: fine for cache bookkeeping."""
    wraps = tuple(
        Wrap(
            key_id=key.key_id,
            iterations=iterations,
            salt=bytes([i]) * 16,
            nonce=bytes(12),
            wrapped_dek=bytes(48),
        )
        for i, key in enumerate(keys)
    )
    return Envelope(nonce=bytes(12), ciphertext=bytes(16), wraps=wraps)


@pytest.fixture
def counting_real(monkeypatch: pytest.MonkeyPatch) -> CountingDerive:
    counter = CountingDerive(real=True)
    monkeypatch.setattr(kekcache_module, "derive_kek", counter)
    return counter


@pytest.fixture
def counting_fake(monkeypatch: pytest.MonkeyPatch) -> CountingDerive:
    counter = CountingDerive(real=False)
    monkeypatch.setattr(kekcache_module, "derive_kek", counter)
    return counter


def test_hit_reuses_the_kek(sealed_two: Envelope, counting_real: CountingDerive) -> None:
    cache = KekCache()
    first = cache.get_or_derive(sealed_two, ALICE)
    second = cache.get_or_derive(sealed_two, ALICE)
    assert first is second
    assert counting_real.calls == 1
    assert unseal_with_kek(sealed_two, second, CTX) == PLAINTEXT


def test_other_key_with_same_id_never_hits(
    sealed_two: Envelope, counting_real: CountingDerive
) -> None:
    cache = KekCache()
    good = cache.get_or_derive(sealed_two, ALICE)
    bad = cache.get_or_derive(sealed_two, IMPOSTOR)
    assert bad is not good
    assert counting_real.calls == 2
    with pytest.raises(DecryptionFailed):
        unseal_with_kek(sealed_two, bad, CTX)
    # The right key still finds its own entry.
    assert cache.get_or_derive(sealed_two, ALICE) is good


def test_cache_holds_no_key_text(sealed_two: Envelope, counting_fake: CountingDerive) -> None:
    cache = KekCache()
    cache.get_or_derive(sealed_two, ALICE)
    cache.get_or_derive(sealed_two, BOB)
    dump = repr(vars(cache)) + repr(cache)
    for key in (ALICE, BOB):
        assert key.text not in dump
        assert key.text[17:60] not in dump


def test_entries_expire(counting_fake: CountingDerive) -> None:
    clock = FakeClock()
    cache = KekCache(ttl_s=10, clock=clock)
    env = _fake_envelope(ALICE)
    first = cache.get_or_derive(env, ALICE)
    clock.now += 9.9
    assert cache.get_or_derive(env, ALICE) is first
    clock.now += 0.1
    assert cache.get_or_derive(env, ALICE) is not first
    assert counting_fake.calls == 2


def test_least_recently_used_is_evicted(counting_fake: CountingDerive) -> None:
    cache = KekCache(max_entries=2, clock=FakeClock())
    env = _fake_envelope(ALICE, BOB, CAROL)
    alice = cache.get_or_derive(env, ALICE)
    cache.get_or_derive(env, BOB)
    assert cache.get_or_derive(env, ALICE) is alice  # ALICE is now the most recent.
    cache.get_or_derive(env, CAROL)  # Evicts BOB.
    assert len(cache) == 2
    assert counting_fake.calls == 3
    assert cache.get_or_derive(env, ALICE) is alice
    cache.get_or_derive(env, BOB)
    assert counting_fake.calls == 4


def test_a_new_salt_is_a_new_entry(counting_fake: CountingDerive) -> None:
    cache = KekCache()
    cache.get_or_derive(_fake_envelope(ALICE), ALICE)
    cache.get_or_derive(_fake_envelope(BOB, ALICE), ALICE)  # ALICE's salt differs.
    assert counting_fake.calls == 2


def test_discard_key_id_and_clear(counting_fake: CountingDerive) -> None:
    cache = KekCache()
    env = _fake_envelope(ALICE, BOB)
    cache.get_or_derive(env, ALICE)
    cache.get_or_derive(env, BOB)
    cache.discard_key_id(ALICE.key_id)
    assert len(cache) == 1
    cache.get_or_derive(env, BOB)
    assert counting_fake.calls == 2
    cache.get_or_derive(env, ALICE)
    assert counting_fake.calls == 3
    cache.clear()
    assert len(cache) == 0


def test_failures_are_not_cached(sealed_two: Envelope) -> None:
    cache = KekCache()
    with pytest.raises(DecryptionFailed):
        cache.get_or_derive(sealed_two, CAROL)
    with pytest.raises(WeakKdfParams):
        cache.get_or_derive(_fake_envelope(ALICE, iterations=1000), ALICE)
    assert len(cache) == 0


def test_concurrent_use_stays_bounded(counting_fake: CountingDerive) -> None:
    keys = [fixed_key(f"thread{i:06d}") for i in range(16)]
    env = _fake_envelope(*keys)
    cache = KekCache(max_entries=8)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(offset: int) -> None:
        try:
            barrier.wait()
            for i in range(200):
                key = keys[(i + offset) % len(keys)]
                assert cache.get_or_derive(env, key).key_id == key.key_id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) <= 8


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        KekCache(ttl_s=0)
    with pytest.raises(ValueError, match="max_entries"):
        KekCache(max_entries=0)
