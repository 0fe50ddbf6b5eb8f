"""Canary secrets and every spelling under which a leak of one could hide.

A canary is a value nothing but the self-check knows: a database password, a
connection URL, an API key, an agent token, a row nobody asked for. A leak is
rarely verbatim, so each canary is searched in several forms: raw (UTF-8),
URL-encoded (``quote`` and ``quote_plus``), hex (lower and upper case, as
PostgreSQL prints ``bytea``), and base64 and base64url at all three byte
alignments. Base64 maps 3 bytes to 4 characters, so a canary in the middle of
a longer encoded blob is spelled differently depending on its offset modulo
3; for each offset the characters that depend on the canary's bytes alone
form a fragment that appears in the blob whatever surrounds it.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

__all__ = ["MIN_CANARY_LENGTH", "Canary", "encoded_forms", "new_canary_text"]

MIN_CANARY_LENGTH = 8
"""Shorter values would match by chance; they are searched only inside longer canaries."""

# The first base64 character that depends on canary bytes only, per offset modulo 3.
_FIRST_CLEAN_CHAR = (0, 2, 3)


@dataclass(frozen=True)
class Canary:
    """A value to search for; ``label`` names it in reports (the value is never printed).

    A secret canary (the default) must appear nowhere. ``allowed_kinds``
    names the kinds of haystack where a value may appear on purpose: a
    requested row in HTTP responses, the organisation id in the store.
    Finding such a *control* value there proves the search reads real data.
    """

    label: str
    value: str
    allowed_kinds: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"Canary(label={self.label!r}, value='***')"

    def forms(self) -> dict[str, bytes]:
        """The encodings of this canary to search for, by name."""
        return encoded_forms(self.value)


def _base64_fragment(raw: bytes, offset: int, *, urlsafe: bool) -> bytes:
    """The base64 characters of ``raw`` at ``offset`` (mod 3) that no neighbour changes."""
    padded = b"\0" * offset + raw
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(padded).rstrip(b"=")
    end = (len(padded) * 8) // 6  # the last character may share bits with what follows
    return encoded[_FIRST_CLEAN_CHAR[offset] : end]


def encoded_forms(value: str) -> dict[str, bytes]:
    """Every searched spelling of ``value``, by encoding name; identical spellings kept once."""
    raw = value.encode("utf-8")
    candidates: list[tuple[str, bytes]] = [
        ("raw", raw),
        ("url-encoded", quote(value, safe="").encode("ascii")),
        ("form-encoded", quote_plus(value).encode("ascii")),
        ("hex", raw.hex().encode("ascii")),
        ("HEX", raw.hex().upper().encode("ascii")),
    ]
    for urlsafe, name in ((False, "base64"), (True, "base64url")):
        for offset in range(3):
            candidates.append((f"{name}@{offset}", _base64_fragment(raw, offset, urlsafe=urlsafe)))
    forms: dict[str, bytes] = {}
    seen: set[bytes] = set()
    for name, needle in candidates:
        if needle not in seen:
            seen.add(needle)
            forms[name] = needle
    return forms


def new_canary_text(kind: str, *, symbols: bool = False) -> str:
    """A fresh, unmistakable canary such as ``cnxcanary-password-3f9a…``.

    With ``symbols`` the value also holds characters that URL-encoding
    changes, so the raw and encoded spellings differ and both are searched.
    """
    text = f"cnxcanary-{kind}-{secrets.token_hex(12)}"
    return text + "!*$(" if symbols else text
