"""Store errors::

StoreError (store_error)
 ├── NotFound (not_found)
 └── Conflict (conflict)
"""

from __future__ import annotations

from conexor.errors import ConexorError

__all__ = ["Conflict", "NotFound", "StoreError"]


class StoreError(ConexorError):
    """Something about stored objects prevents the request."""

    code = "store_error"


class NotFound(StoreError):
    """The named object does not exist for this organisation."""

    code = "not_found"
    default_public = "not found"


class Conflict(StoreError):
    """The object already exists or was changed concurrently."""

    code = "conflict"
    default_public = "already exists"
