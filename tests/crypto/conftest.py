"""Shared fixtures: fixed keys and contexts, and envelopes sealed once per module.

Sealing runs PBKDF2 at the minimum iteration count once per key, so the
fixtures that seal are module-scoped to keep the suite fast.
"""

from __future__ import annotations

import hashlib

import pytest

from conexor.crypto import AadContext, ApiKey, Envelope, seal
from conexor.crypto.apikeys import _make_api_key


def fixed_key(key_id: str) -> ApiKey:
    """A deterministic, well-formed key for tests."""
    return _make_api_key(key_id=key_id, secret=hashlib.sha256(key_id.encode()).digest())


ALICE = fixed_key("testAlice001")
BOB = fixed_key("testBob00002")
CAROL = fixed_key("testCarol003")
CTX = AadContext(org_id="org_test", database_id="db_test", revision=3)
PLAINTEXT = b"postgresql://reader:canary-Pw-7f3a9c@db.example.com/sales"


@pytest.fixture(scope="module")
def sealed_two() -> Envelope:
    """PLAINTEXT sealed for ALICE and BOB under CTX."""
    return seal(PLAINTEXT, [ALICE, BOB], CTX)
