"""The keyed query hash: HMAC-SHA256 under the organisation's key."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from conexor.audit import MalformedRecord, new_query_hash_key, query_hash

KEY = bytes(range(32))


def test_query_hash_is_hmac_sha256() -> None:
    sql = "SELECT name FROM café"
    expected = hmac.new(KEY, sql.encode("utf-8"), hashlib.sha256).hexdigest()
    assert query_hash(sql, KEY) == expected
    assert query_hash("", KEY) == hmac.new(KEY, b"", hashlib.sha256).hexdigest()


def test_a_guess_cannot_be_confirmed_without_the_key() -> None:
    sql = "SELECT salary FROM staff WHERE name = 'Ana'"
    recorded = query_hash(sql, new_query_hash_key())
    assert recorded != hashlib.sha256(sql.encode()).hexdigest()
    assert recorded != query_hash(sql, KEY)
    assert query_hash(sql, KEY) == query_hash(sql, KEY)


def test_keys_are_random_and_long_enough() -> None:
    a, b = new_query_hash_key(), new_query_hash_key()
    assert len(a) == 32
    assert a != b
    with pytest.raises(ValueError, match="32 bytes"):
        query_hash("SELECT 1", b"short")


def test_invalid_unicode() -> None:
    with pytest.raises(MalformedRecord):
        query_hash("\udc00", KEY)
