"""The policy's table and column rules, applied to one resolved relation at a time.

Both walkers (:mod:`~conexor.sandbox.walk_pg`, :mod:`~conexor.sandbox.walk_sqlglot`)
find the relations and column references of a query scope by scope; this
module decides about each one against the policy and the stored schema
snapshot, so the two dialect families cannot drift apart.

Relations are keyed the way the snapshot names them (``orders``,
``sales.orders``). PostgreSQL compares names exactly (the parser has already
folded unquoted ones); MySQL and SQLite compare them case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from conexor.sandbox.dialects import Dialect
from conexor.sandbox.policy import Policy
from conexor.sandbox.verdict import Verdict, deny
from conexor.schema import Snapshot

__all__ = ["RelationRules", "Resolved"]

# Catalog schemas whose relations describe the database rather than hold its data.
_SYSTEM_SCHEMAS: Final[dict[Dialect, frozenset[str]]] = {
    "postgresql": frozenset({"pg_catalog", "information_schema"}),
    "mysql": frozenset({"information_schema", "mysql", "performance_schema", "sys"}),
    "sqlite": frozenset(),
}

# Catalog relations that show stored values (statistics samples) or other
# sessions' SQL; they count as data whenever the policy restricts tables or columns.
_VALUE_RELATIONS: Final[dict[Dialect, frozenset[str]]] = {
    "postgresql": frozenset(
        {
            "pg_catalog.pg_statistic",
            "pg_catalog.pg_stats",
            "pg_catalog.pg_stats_ext",
            "pg_catalog.pg_stats_ext_exprs",
            "pg_catalog.pg_statistic_ext_data",
            "pg_catalog.pg_stat_activity",
            "pg_catalog.pg_stat_statements",
        }
    ),
    "mysql": frozenset(),
    "sqlite": frozenset({"sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}),
}

_SQLITE_CATALOG: Final = frozenset(
    {"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"}
)

_DEFAULT_SCHEMA: Final[dict[Dialect, str]] = {
    "postgresql": "public",
    "mysql": "",
    "sqlite": "main",
}

_SHOWN: Final = 5


@dataclass(frozen=True)
class Resolved:
    """A base relation: its policy key and, when the snapshot knows it, its columns."""

    key: str
    columns: frozenset[str] | None


def _same(s: str) -> str:
    return s


class RelationRules:
    """Decides about relations and columns for one query, one policy and one snapshot."""

    def __init__(self, dialect: Dialect, policy: Policy, snapshot: Snapshot | None) -> None:
        self.dialect = dialect
        self.policy = policy
        self.snapshot = snapshot
        self.fold: Callable[[str], str] = _same if dialect == "postgresql" else str.casefold
        fold = self.fold
        self.allowed_schemas = (
            None
            if policy.allowed_schemas is None
            else frozenset(fold(s) for s in policy.allowed_schemas)
        )
        self.allowed_tables = (
            None
            if policy.allowed_tables is None
            else frozenset(fold(self._key_of(t)) for t in policy.allowed_tables)
        )
        self.denied: dict[str, set[str]] = {}
        for entry in policy.denied_columns:
            table, _, column = entry.rpartition(".")
            self.denied.setdefault(fold(self._key_of(table)), set()).add(fold(column))
        self.strict_values = policy.allowed_tables is not None or bool(policy.denied_columns)

    def _key_of(self, name: str) -> str:
        table = self.snapshot.find_table(name) if self.snapshot is not None else None
        return table.qualified_name if table is not None else name

    def resolve(self, schema: str | None, name: str) -> Resolved | Verdict:
        """The relation ``schema.name`` (schema may be None) names, or why it may not be read."""
        fold = self.fold
        written = f"{schema}.{name}" if schema else name
        if self.snapshot is None:
            if self.policy.restricts_relations:
                return deny(
                    "deny.schema_unknown",
                    "the database policy limits tables or columns but no schema is stored for"
                    " this database: ask an admin to refresh the schema",
                )
            return Resolved(written, None)
        system = self._system(schema, name)
        table = None if system is not None else self.snapshot.find_table(written)
        if (
            system is None
            and table is None
            and schema is None
            and self.dialect == "postgresql"
            and name.startswith("pg_")
        ):
            # An unqualified name the snapshot does not know: pg_catalog is searched first.
            system = f"pg_catalog.{name}"
        if table is not None:
            key = table.qualified_name
            columns: frozenset[str] | None = frozenset(fold(c.name) for c in table.columns)
            effective = (
                table.schema or self.snapshot.default_schema or _DEFAULT_SCHEMA[self.dialect]
            )
        elif system is not None:
            key, columns = system, None
            effective = system.rpartition(".")[0] or _DEFAULT_SCHEMA[self.dialect]
        else:
            if self.policy.allowed_tables is not None or self.policy.allowed_schemas is not None:
                return deny(
                    "deny.table_not_allowed",
                    f"table {written} is not in the stored schema of this database: check the"
                    " name, or ask an admin to refresh the schema",
                )
            return Resolved(written, None)
        if self.allowed_schemas is not None and fold(effective) not in self.allowed_schemas:
            return deny(
                "deny.schema_not_allowed",
                f"schema {effective} is not allowed by the database policy: use tables in "
                f"{self._listed(self.policy.allowed_schemas)}",
            )
        if system is not None:
            if self.strict_values and fold(system) in _VALUE_RELATIONS[self.dialect]:
                return deny(
                    "deny.table_not_allowed",
                    f"{system} shows stored values or other sessions' SQL: it is not allowed"
                    " while the database policy restricts tables or columns",
                )
            return Resolved(key, columns)
        if self.allowed_tables is not None and fold(key) not in self.allowed_tables:
            return deny(
                "deny.table_not_allowed",
                f"table {key} is not allowed by the database policy: use "
                f"{self._listed(self.policy.allowed_tables)}",
            )
        return Resolved(key, columns)

    def _system(self, schema: str | None, name: str) -> str | None:
        fold = self.fold
        if self.dialect == "sqlite":
            if (schema is None or fold(schema) in ("main", "temp")) and (
                fold(name) in _SQLITE_CATALOG or fold(name) in _VALUE_RELATIONS["sqlite"]
            ):
                return fold(name)
            return None
        if schema is not None and fold(schema) in _SYSTEM_SCHEMAS[self.dialect]:
            return f"{fold(schema)}.{fold(name)}"
        return None

    @staticmethod
    def _listed(names: tuple[str, ...] | None) -> str:
        shown = list(names or ())[:_SHOWN]
        more = ", ..." if len(names or ()) > _SHOWN else ""
        return (", ".join(shown) + more) or "none (no table is allowed)"

    def denied_in(self, key: str | None) -> bool:
        """Whether the policy denies any column of the relation ``key``."""
        return key is not None and bool(self.denied.get(self.fold(key)))

    def column(self, key: str, column: str) -> Verdict | None:
        """Deny a reference to ``key.column`` if the policy denies that column."""
        if self.fold(column) in self.denied.get(self.fold(key), ()):
            return deny(
                "deny.column_denied",
                f"column {key}.{column} is denied by policy: remove it from the query",
            )
        return None

    def star(self, key: str | None, *, whole_row: bool = False) -> Verdict | None:
        """Deny ``*``, ``t.*`` or a whole-row reference that would include a denied column."""
        if key is None:
            return None
        denied = self.denied.get(self.fold(key))
        if not denied:
            return None
        what = "the whole row" if whole_row else "*"
        return deny(
            "deny.column_denied",
            f"column {key}.{min(denied)} is denied by policy: select the columns you need"
            f" instead of {what}",
        )
