"""What of a database's schema a caller may see: the policy hides tables and columns.

Tables outside the allowed schemas and tables, and denied columns, are left
out of ``list_tables``, ``describe_table`` and ``search_schema`` — a query
could not read them anyway, and their names are not the AI's business.
"""

from __future__ import annotations

from dataclasses import replace

from conexor.sandbox import Policy
from conexor.schema import Snapshot, Table

__all__ = ["visible"]


def visible(snapshot: Snapshot, policy: Policy) -> Snapshot:
    """``snapshot`` with only the tables and columns ``policy`` lets a query read."""
    if not policy.restricts_relations:
        return snapshot
    tables = tuple(
        _without_denied(t, snapshot, policy)
        for t in snapshot.tables
        if _allowed(t, snapshot, policy)
    )
    return replace(snapshot, tables=tables)


def _allowed(table: Table, snapshot: Snapshot, policy: Policy) -> bool:
    schema = table.schema or snapshot.default_schema
    if policy.allowed_schemas is not None and schema not in policy.allowed_schemas:
        return False
    if policy.allowed_tables is not None:
        names = {table.qualified_name, f"{schema}.{table.name}" if schema else table.name}
        return bool(names & set(policy.allowed_tables))
    return True


def _without_denied(table: Table, snapshot: Snapshot, policy: Policy) -> Table:
    if not policy.denied_columns:
        return table
    schema = table.schema or snapshot.default_schema
    prefixes = {
        table.qualified_name,
        table.name,
        f"{schema}.{table.name}" if schema else table.name,
    }
    denied = {
        entry.rsplit(".", 1)[1]
        for entry in policy.denied_columns
        if entry.rsplit(".", 1)[0] in prefixes
    }
    # Keys and indexes over a denied column would name it: they go with the column.
    return replace(
        table,
        columns=tuple(c for c in table.columns if c.name not in denied),
        foreign_keys=tuple(fk for fk in table.foreign_keys if not denied & set(fk.columns)),
        indexes=tuple(index for index in table.indexes if not denied & set(index)),
    )
