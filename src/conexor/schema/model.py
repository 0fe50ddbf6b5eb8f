"""Schema snapshot values: tables, views, columns and foreign keys. Metadata only, never rows.

A :class:`Snapshot` is what introspection produces and what a client uploads
with a cloud-mode database, so :meth:`Snapshot.from_json` treats its input as
untrusted: exact keys, exact types, bounded sizes, and only
:class:`MalformedSchema` on failure.

``Table.schema`` is ``None`` for the connection's default schema (``public``,
the connected MySQL database, SQLite's ``main``), so names read the way a user
writes them in a query; ``Snapshot.default_schema`` keeps the real name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar, get_args

from conexor.schema.errors import MalformedSchema

__all__ = [
    "FORMAT_VERSION",
    "MAX_COLUMNS",
    "MAX_TABLES",
    "Column",
    "ForeignKey",
    "Kind",
    "Snapshot",
    "Table",
]

Kind = Literal["table", "view"]
KINDS: tuple[str, ...] = get_args(Kind)

FORMAT_VERSION = 1
#: Bounds on an uploaded snapshot; far above what any real schema needs.
MAX_TABLES = 10_000
MAX_COLUMNS = 5_000
MAX_NAME = 1_024
MAX_TEXT = 65_536

_T = TypeVar("_T")


@dataclass(frozen=True)
class Column:
    """One column: ``type`` is the dialect's own spelling (``VARCHAR(40)``, ``NUMERIC(10, 2)``)."""

    name: str
    type: str
    nullable: bool
    default: str | None
    comment: str | None
    primary_key: bool


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of this table reference ``ref_columns`` of ``ref_table``.

    ``ref_table`` is qualified (``schema.name``) unless it is in the default schema.
    """

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table or view with its columns (in database order), foreign keys and indexes.

    ``indexes`` lists each index's column names in index order (expression
    indexes are left out); snapshots from before indexes were recorded have none.
    """

    schema: str | None
    name: str
    kind: Kind
    comment: str | None
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def qualified_name(self) -> str:
        """``schema.name``, or ``name`` in the default schema."""
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Snapshot:
    """Every table and view conexor knows about one database."""

    dialect: str
    tables: tuple[Table, ...]
    default_schema: str | None = None

    def find_table(self, name: str) -> Table | None:
        """The table a user means by ``name`` (``"orders"`` or ``"sales.orders"``), or None.

        Exact spelling wins: first a qualified name, then a bare name if only
        one schema has it. Only then is case ignored, and only a unique match
        counts, so an ambiguous name never picks a table at random.
        """
        for fold in (_same, str.casefold):
            wanted = fold(name)
            qualified = [t for t in self.tables if wanted in {fold(s) for s in self._spellings(t)}]
            if len(qualified) == 1:
                return qualified[0]
            bare = [t for t in self.tables if fold(t.name) == wanted]
            if len(bare) == 1:
                return bare[0]
            if len(bare) > 1:
                in_default = [t for t in bare if t.schema is None]
                if len(in_default) == 1:
                    return in_default[0]
                return None
        return None

    def _spellings(self, table: Table) -> tuple[str, ...]:
        if table.schema is None and self.default_schema:
            return (table.qualified_name, f"{self.default_schema}.{table.name}")
        return (table.qualified_name,)

    def to_json(self) -> dict[str, object]:
        """A JSON object that :meth:`from_json` reads back to an equal snapshot."""
        return {
            "version": FORMAT_VERSION,
            "dialect": self.dialect,
            "default_schema": self.default_schema,
            "tables": [
                {
                    "schema": t.schema,
                    "name": t.name,
                    "kind": t.kind,
                    "comment": t.comment,
                    "columns": [
                        {
                            "name": c.name,
                            "type": c.type,
                            "nullable": c.nullable,
                            "default": c.default,
                            "comment": c.comment,
                            "primary_key": c.primary_key,
                        }
                        for c in t.columns
                    ],
                    "foreign_keys": [
                        {
                            "columns": list(fk.columns),
                            "ref_table": fk.ref_table,
                            "ref_columns": list(fk.ref_columns),
                        }
                        for fk in t.foreign_keys
                    ],
                    "indexes": [list(index) for index in t.indexes],
                }
                for t in self.tables
            ],
        }

    @classmethod
    def from_json(cls, d: object) -> Snapshot:
        """Parse an untrusted snapshot strictly; raise only :class:`MalformedSchema`."""
        obj = _obj(d, "snapshot", ("version", "dialect", "default_schema", "tables"))
        if obj["version"] != FORMAT_VERSION or isinstance(obj["version"], bool):
            raise MalformedSchema("schema snapshot has an unsupported version")
        dialect = _text(obj["dialect"], "dialect", MAX_NAME)
        if not dialect:
            raise MalformedSchema("schema snapshot field dialect must not be empty")
        tables = _list(obj["tables"], "tables", MAX_TABLES, _table)
        seen: set[tuple[str | None, str]] = set()
        for t in tables:
            if (t.schema, t.name) in seen:
                raise MalformedSchema("schema snapshot lists a table twice")
            seen.add((t.schema, t.name))
        return cls(
            dialect=dialect,
            tables=tables,
            default_schema=_opt_text(obj["default_schema"], "default_schema", MAX_NAME),
        )


def _same(s: str) -> str:
    return s


def _obj(d: object, where: str, keys: tuple[str, ...]) -> Mapping[str, object]:
    if not isinstance(d, Mapping):
        raise MalformedSchema(f"schema snapshot {where} must be an object")
    if set(d) != set(keys):
        raise MalformedSchema(
            f"schema snapshot {where} must have exactly the keys {', '.join(keys)}"
        )
    return d


def _text(v: object, where: str, limit: int) -> str:
    if not isinstance(v, str):
        raise MalformedSchema(f"schema snapshot field {where} must be text")
    if len(v) > limit:
        raise MalformedSchema(f"schema snapshot field {where} is too long")
    return v


def _name(v: object, where: str) -> str:
    s = _text(v, where, MAX_NAME)
    if not s:
        raise MalformedSchema(f"schema snapshot field {where} must not be empty")
    return s


def _opt_text(v: object, where: str, limit: int) -> str | None:
    return None if v is None else _text(v, where, limit)


def _bool(v: object, where: str) -> bool:
    if not isinstance(v, bool):
        raise MalformedSchema(f"schema snapshot field {where} must be true or false")
    return v


def _list(v: object, where: str, limit: int, item: Callable[[object], _T]) -> tuple[_T, ...]:
    if not isinstance(v, list):
        raise MalformedSchema(f"schema snapshot field {where} must be a list")
    if len(v) > limit:
        raise MalformedSchema(f"schema snapshot field {where} has too many entries")
    return tuple(item(x) for x in v)


def _column(d: object) -> Column:
    obj = _obj(d, "column", ("name", "type", "nullable", "default", "comment", "primary_key"))
    return Column(
        name=_name(obj["name"], "column.name"),
        type=_text(obj["type"], "column.type", MAX_NAME),
        nullable=_bool(obj["nullable"], "column.nullable"),
        default=_opt_text(obj["default"], "column.default", MAX_TEXT),
        comment=_opt_text(obj["comment"], "column.comment", MAX_TEXT),
        primary_key=_bool(obj["primary_key"], "column.primary_key"),
    )


def _column_name(v: object) -> str:
    return _name(v, "foreign_key column")


def _foreign_key(d: object) -> ForeignKey:
    obj = _obj(d, "foreign key", ("columns", "ref_table", "ref_columns"))
    fk = ForeignKey(
        columns=_list(obj["columns"], "foreign_key.columns", MAX_COLUMNS, _column_name),
        ref_table=_name(obj["ref_table"], "foreign_key.ref_table"),
        ref_columns=_list(obj["ref_columns"], "foreign_key.ref_columns", MAX_COLUMNS, _column_name),
    )
    if not fk.columns or len(fk.columns) != len(fk.ref_columns):
        raise MalformedSchema("schema snapshot foreign key columns do not pair up")
    return fk


def _index(v: object) -> tuple[str, ...]:
    columns = _list(v, "table.indexes", MAX_COLUMNS, _column_name)
    if not columns:
        raise MalformedSchema("schema snapshot index must name at least one column")
    return columns


def _table(d: object) -> Table:
    keys = ("schema", "name", "kind", "comment", "columns", "foreign_keys")
    # "indexes" arrived later: snapshots stored (or agents running) before that lack it.
    has_indexes = isinstance(d, Mapping) and "indexes" in d
    obj = _obj(d, "table", (*keys, "indexes") if has_indexes else keys)
    kind = obj["kind"]
    if kind not in KINDS:
        raise MalformedSchema("schema snapshot field table.kind must be table or view")
    schema = _opt_text(obj["schema"], "table.schema", MAX_NAME)
    if schema == "":
        raise MalformedSchema("schema snapshot field table.schema must not be empty")
    table = Table(
        schema=schema,
        name=_name(obj["name"], "table.name"),
        kind="table" if kind == "table" else "view",
        comment=_opt_text(obj["comment"], "table.comment", MAX_TEXT),
        columns=_list(obj["columns"], "table.columns", MAX_COLUMNS, _column),
        foreign_keys=_list(obj["foreign_keys"], "table.foreign_keys", MAX_COLUMNS, _foreign_key),
        indexes=_list(obj["indexes"], "table.indexes", MAX_COLUMNS, _index) if has_indexes else (),
    )
    names = [c.name for c in table.columns]
    if len(set(names)) != len(names):
        raise MalformedSchema("schema snapshot table has a duplicate column")
    for fk in table.foreign_keys:
        if not set(fk.columns) <= set(names):
            raise MalformedSchema("schema snapshot foreign key names a column the table lacks")
    for index in table.indexes:
        if not set(index) <= set(names):
            raise MalformedSchema("schema snapshot index names a column the table lacks")
    return table
