"""Database schema: introspection into a snapshot, and compact rendering for tools.

Only :func:`introspect` does I/O (catalog reads through a given Engine); the
model and the rendering are pure values and functions.
"""

from conexor.schema.errors import (
    IntrospectionFailed,
    MalformedSchema,
    SchemaError,
    SchemaTooLarge,
)
from conexor.schema.introspect import introspect
from conexor.schema.model import Column, ForeignKey, Kind, Snapshot, Table
from conexor.schema.render import as_text, describe, table_list
from conexor.schema.search import search

__all__ = [
    "Column",
    "ForeignKey",
    "IntrospectionFailed",
    "Kind",
    "MalformedSchema",
    "SchemaError",
    "SchemaTooLarge",
    "Snapshot",
    "Table",
    "as_text",
    "describe",
    "introspect",
    "search",
    "table_list",
]
