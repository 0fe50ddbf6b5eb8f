"""The query hash: which SQL ran, as a fixed-size value to group and compare by.

The sandbox normalises the SQL (whitespace, keyword case, literals as the
dialect's parser prints them); this module only hashes the text it is given,
so the same normalised query hashes the same in every record and language.
"""

from __future__ import annotations

import hashlib

from conexor.audit.errors import MalformedRecord

__all__ = ["query_hash"]


def query_hash(normalized_sql: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``normalized_sql``, as lowercase hex."""
    try:
        data = normalized_sql.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedRecord("the SQL text is not valid Unicode") from None
    return hashlib.sha256(data).hexdigest()
