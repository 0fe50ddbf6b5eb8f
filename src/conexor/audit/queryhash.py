"""The query hash: which SQL ran, as a fixed-size value to group and compare by.

The sandbox normalises the SQL (whitespace, keyword case, literals as the
dialect's parser prints them); this module only hashes the text it is given.

The hash is keyed: ``HMAC-SHA256(org query-hash key, UTF-8(normalised SQL))``.
A plain SHA-256 would let anyone holding the trail (an export, a SIEM, a
backup) confirm a guess such as ``SELECT salary FROM staff WHERE name =
'Ana'`` by hashing it. With a per-organisation secret key, equal queries still
hash equally within the organisation, so grouping works, but a guess cannot be
checked without the key. The key is not a record field; the store keeps it
per organisation, and rotating it starts a new grouping.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from conexor.audit.errors import MalformedRecord

__all__ = ["QUERY_HASH_KEY_SIZE", "new_query_hash_key", "query_hash"]

#: Size of a query-hash key in bytes (256 bits, the HMAC-SHA256 block-safe size).
QUERY_HASH_KEY_SIZE = 32


def new_query_hash_key() -> bytes:
    """A fresh random query-hash key for one organisation."""
    return os.urandom(QUERY_HASH_KEY_SIZE)


def query_hash(normalized_sql: str, key: bytes) -> str:
    """HMAC-SHA256 of the UTF-8 bytes of ``normalized_sql`` under ``key``, as lowercase hex."""
    if not isinstance(key, bytes) or len(key) < QUERY_HASH_KEY_SIZE:
        raise ValueError("a query-hash key is at least 32 bytes")
    try:
        data = normalized_sql.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedRecord("the SQL text is not valid Unicode") from None
    return hmac.new(key, data, hashlib.sha256).hexdigest()
