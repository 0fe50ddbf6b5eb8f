"""Errors of the schema package.

::

    ConexorError
     └── SchemaError            schema_error
          ├── MalformedSchema       schema_malformed        a snapshot from the wire does not parse
          ├── SchemaTooLarge        schema_too_large        more tables than the limit allows
          └── IntrospectionFailed   schema_introspection_failed  the database refused a catalog read

Driver errors can carry a connection string, so introspection re-raises them
as :class:`IntrospectionFailed` naming only the error class.
"""

from __future__ import annotations

from conexor.errors import ConexorError

__all__ = ["IntrospectionFailed", "MalformedSchema", "SchemaError", "SchemaTooLarge"]


class SchemaError(ConexorError):
    """Base class of every schema failure."""

    code = "schema_error"
    default_public = "the database schema could not be processed"


class MalformedSchema(SchemaError):
    """A schema snapshot (which clients upload) does not fit the format."""

    code = "schema_malformed"
    default_public = "the schema snapshot is malformed"


class SchemaTooLarge(SchemaError):
    """The database has more tables than introspection is allowed to read."""

    code = "schema_too_large"
    default_public = "the database has too many tables; restrict the schemas to introspect"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"the database has more than {limit} tables and views; "
            "restrict the schemas to introspect"
        )


class IntrospectionFailed(SchemaError):
    """Reading the database catalog failed."""

    code = "schema_introspection_failed"
    default_public = "the database schema could not be read"
