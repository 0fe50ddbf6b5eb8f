"""Strict text codecs for the envelope and API keys: base64url and base62.

Both decoders accept exactly one spelling per value (no padding, no
whitespace, no stray trailing bits, no leading overflow), so an encoded field
cannot be mutated into a different string that decodes to the same bytes.
Decoders raise :class:`ValueError`; callers map it to their own error.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = [
    "BASE62_ALPHABET",
    "b64url_decode",
    "b64url_encode",
    "base62_decode_int",
    "base62_encode_int",
    "is_base62",
]

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_INDEX = {ch: i for i, ch in enumerate(BASE62_ALPHABET)}
# Code-point ranges, not classes: nothing outside ASCII matches.
_BASE62_TEXT = re.compile("[0-9A-Za-z]*")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url, rejecting every non-canonical spelling."""
    if not isinstance(text, str) or _B64URL_RE.fullmatch(text) is None or len(text) % 4 == 1:
        raise ValueError("not canonical unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("not canonical unpadded base64url") from None
    # Non-zero trailing bits decode to the same bytes as the zeroed spelling;
    # re-encoding catches them.
    if b64url_encode(data) != text:
        raise ValueError("not canonical unpadded base64url")
    return data


def is_base62(text: str) -> bool:
    """Tell whether every character of ``text`` is in the base62 alphabet."""
    return _BASE62_TEXT.fullmatch(text) is not None


def base62_encode_int(value: int, width: int) -> str:
    """Encode a non-negative integer as exactly ``width`` base62 digits.

    The result is left-padded with ``'0'``; a value that needs more digits
    raises, so widths stay fixed and parsers can rely on them.
    """
    if value < 0:
        raise ValueError("negative value")
    digits: list[str] = []
    while value:
        value, rem = divmod(value, 62)
        digits.append(BASE62_ALPHABET[rem])
    if len(digits) > width:
        raise ValueError("value does not fit the width")
    return "".join(reversed(digits)).rjust(width, "0")


def base62_decode_int(text: str) -> int:
    """Decode base62 digits (most significant first) to an integer."""
    value = 0
    for ch in text:
        index = _BASE62_INDEX.get(ch)
        if index is None:
            raise ValueError("not base62")
        value = value * 62 + index
    return value
