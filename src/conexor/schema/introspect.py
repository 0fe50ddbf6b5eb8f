"""Read a database's catalog into a :class:`Snapshot`. Catalog only: no row is ever read.

This is the one module of the package that does I/O, through the Engine it is
given. It uses SQLAlchemy's batched ``get_multi_*`` reflection, which costs a
handful of catalog queries per schema instead of several per table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy
from sqlalchemy.engine import Engine, Inspector, ObjectKind
from sqlalchemy.engine.interfaces import (
    ReflectedForeignKeyConstraint,
    ReflectedIndex,
    ReflectedPrimaryKeyConstraint,
    ReflectedTableComment,
    TableKey,
)
from sqlalchemy.exc import CompileError, SQLAlchemyError
from sqlalchemy.types import NullType, TypeEngine

from conexor.schema.errors import IntrospectionFailed, SchemaTooLarge
from conexor.schema.model import Column, ForeignKey, Kind, Snapshot, Table

__all__ = ["introspect"]

_PG_SYSTEM = ("pg_catalog", "information_schema")
_PG_SYSTEM_PREFIXES = ("pg_toast", "pg_temp_")


def introspect(
    engine: Engine, *, schemas: Sequence[str] | None = None, max_tables: int = 2000
) -> Snapshot:
    """Describe every table and view in ``schemas`` (default: the user's schemas).

    Default schemas: on PostgreSQL every schema but the system ones
    (``pg_catalog``, ``information_schema``, ``pg_toast*``, ``pg_temp_*``); on
    MySQL/MariaDB the connected database; elsewhere (SQLite) the main schema.
    More than ``max_tables`` tables and views raise :class:`SchemaTooLarge`
    before any column is read. Database errors become :class:`IntrospectionFailed`.
    """
    try:
        with engine.connect() as conn:
            inspector = sqlalchemy.inspect(conn)
            return _introspect(inspector, engine, schemas, max_tables)
    except SQLAlchemyError as exc:
        # Driver messages may quote the connection string: name the class only.
        raise IntrospectionFailed(
            f"the database schema could not be read ({type(exc).__name__})"
        ) from None


def _introspect(
    inspector: Inspector, engine: Engine, schemas: Sequence[str] | None, max_tables: int
) -> Snapshot:
    dialect = engine.dialect
    default = inspector.default_schema_name
    if schemas is None:
        targets = _default_schemas(inspector, dialect.name, default)
    else:
        # The default schema is reflected as None so its tables are unqualified.
        targets = list(dict.fromkeys(None if s == default else s for s in schemas))

    names: list[tuple[str | None, str, Kind]] = []
    for schema in targets:
        names += [(schema, n, "table") for n in inspector.get_table_names(schema=schema)]
        views = list(inspector.get_view_names(schema=schema))
        # Only some dialects have materialized views.
        with contextlib.suppress(NotImplementedError):
            views += inspector.get_materialized_view_names(schema=schema)
        names += [(schema, n, "view") for n in dict.fromkeys(views)]
        if len(names) > max_tables:
            raise SchemaTooLarge(max_tables)

    tables: list[Table] = []
    for schema in targets:
        wanted = {n: k for s, n, k in names if s == schema}
        if wanted:
            tables += _reflect_schema(inspector, dialect, default, schema, wanted)
    tables.sort(key=lambda t: (t.schema is not None, t.schema or "", t.name))
    return Snapshot(dialect=dialect.name, tables=tuple(tables), default_schema=default)


def _default_schemas(inspector: Inspector, dialect: str, default: str | None) -> list[str | None]:
    if dialect == "postgresql":
        out: list[str | None] = [None]
        for s in inspector.get_schema_names():
            if s == default or s in _PG_SYSTEM or s.startswith(_PG_SYSTEM_PREFIXES):
                continue
            out.append(s)
        return out
    return [None]


def _type_name(type_: TypeEngine[Any], dialect: sqlalchemy.Dialect) -> str:
    if isinstance(type_, NullType):
        # No declared type (SQLite view expressions): say nothing rather than
        # show a library class name.
        return ""
    try:
        return str(type_.compile(dialect=dialect))
    except (CompileError, NotImplementedError, TypeError, AttributeError):
        # NullType and some reflected custom types cannot be compiled; their
        # class name is safe to show and still tells the user something.
        return type(type_).__name__


def _reflect_schema(
    inspector: Inspector,
    dialect: sqlalchemy.Dialect,
    default: str | None,
    schema: str | None,
    wanted: dict[str, Kind],
) -> list[Table]:
    kind = ObjectKind.ANY
    filter_names = sorted(wanted)
    columns = inspector.get_multi_columns(schema=schema, filter_names=filter_names, kind=kind)
    # Dialects without a feature raise NotImplementedError (SQLite has no
    # comments); the snapshot then simply lacks that information.
    pks: dict[TableKey, ReflectedPrimaryKeyConstraint] = {}
    fks: dict[TableKey, list[ReflectedForeignKeyConstraint]] = {}
    comments: dict[TableKey, ReflectedTableComment] = {}
    indexes: dict[TableKey, list[ReflectedIndex]] = {}
    with contextlib.suppress(NotImplementedError):
        pks = inspector.get_multi_pk_constraint(schema=schema, filter_names=filter_names, kind=kind)
    with contextlib.suppress(NotImplementedError):
        fks = inspector.get_multi_foreign_keys(schema=schema, filter_names=filter_names, kind=kind)
    with contextlib.suppress(NotImplementedError):
        comments = inspector.get_multi_table_comment(
            schema=schema, filter_names=filter_names, kind=kind
        )
    with contextlib.suppress(NotImplementedError):
        indexes = inspector.get_multi_indexes(schema=schema, filter_names=filter_names, kind=kind)

    out: list[Table] = []
    for name in filter_names:
        key = (schema, name)
        pk = pks.get(key)
        pk_cols = set(pk["constrained_columns"] if pk else ())
        cols = tuple(
            Column(
                name=c["name"],
                type=_type_name(c["type"], dialect),
                nullable=bool(c.get("nullable", True)),
                default=None if c.get("default") is None else str(c.get("default")),
                comment=c.get("comment"),
                primary_key=c["name"] in pk_cols,
            )
            for c in columns.get(key, [])
        )
        foreign_keys = tuple(
            ForeignKey(
                columns=tuple(fk["constrained_columns"]),
                ref_table=_qualify(fk.get("referred_schema"), fk["referred_table"], default),
                ref_columns=tuple(fk["referred_columns"]),
            )
            for fk in fks.get(key, [])
        )
        out.append(
            Table(
                schema=schema,
                name=name,
                kind=wanted[name],
                comment=comments[key]["text"] if key in comments else None,
                columns=cols,
                foreign_keys=foreign_keys,
                indexes=_plain_indexes(indexes.get(key, []), {c.name for c in cols}),
            )
        )
    return out


def _plain_indexes(
    reflected: list[ReflectedIndex], columns: set[str]
) -> tuple[tuple[str, ...], ...]:
    """Indexes over plain columns, in index order; expression indexes say nothing useful here."""
    out: list[tuple[str, ...]] = []
    for index in reflected:
        names = tuple(n for n in index.get("column_names") or () if isinstance(n, str))
        complete = len(names) == len(index.get("column_names") or ())
        if names and complete and set(names) <= columns and names not in out:
            out.append(names)
    return tuple(out)


def _qualify(schema: str | None, name: str, default: str | None) -> str:
    return name if schema is None or schema == default else f"{schema}.{name}"
