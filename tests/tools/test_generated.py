"""find_<table> tools come from schema metadata alone, deterministically, without denied columns."""

from __future__ import annotations

from typing import Any

from conexor.sandbox import Policy, check
from conexor.schema import Column, ForeignKey, Snapshot, Table
from conexor.tools.binding import bind
from conexor.tools.generated import GeneratedSpec, build_find_tool, column_kind, generated_name
from conexor.tools.visibility import visible


def _col(name: str, type_: str, *, pk: bool = False, comment: str | None = None) -> Column:
    return Column(name, type_, nullable=not pk, default=None, comment=comment, primary_key=pk)


ORDERS = Table(
    schema=None,
    name="orders",
    kind="table",
    comment="Customer orders",
    columns=(
        _col("id", "integer", pk=True),
        _col("customer_id", "integer", comment="Who ordered"),
        _col("country", "text"),
        _col("placed", "date"),
        _col("secret_note", "text"),
    ),
    foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
)
SNAPSHOT = Snapshot(dialect="postgresql", tables=(ORDERS,), default_schema="public")


def test_filters_on_keys_and_chosen_columns_with_fk_and_comments() -> None:
    tool = build_find_tool(
        "find_orders",
        GeneratedSpec(table="orders", filters=("placed",)),
        SNAPSHOT,
        "postgresql",
        500,
    )
    names = [p.name for p in tool.parameters]
    assert names == [
        "id", "id_min", "id_max",
        "customer_id", "customer_id_min", "customer_id_max",
        "placed", "placed_min", "placed_max",
        "order_by", "descending", "limit",
    ]  # fmt: skip
    assert "Customer orders." in tool.description
    assert "customer_id -> customers.id" in tool.description
    customer = next(p for p in tool.parameters if p.name == "customer_id")
    assert (
        "Who ordered." in customer.description
        and "References customers.id." in customer.description
    )
    limit = tool.parameters[-1]
    assert (limit.max, limit.default) == (500, 50)
    # The same input gives the same tool: no randomness, no model, no rows.
    again = build_find_tool(
        "find_orders",
        GeneratedSpec(table="orders", filters=("placed",)),
        SNAPSHOT,
        "postgresql",
        500,
    )
    assert again == tool


def test_statement_uses_only_given_filters_and_passes_the_sandbox() -> None:
    tool = build_find_tool(
        "find_orders", GeneratedSpec(table="orders"), SNAPSHOT, "postgresql", 100
    )
    values: dict[str, Any] = {
        "customer_id": 7,
        "id_min": 2,
        "order_by": "country",
        "descending": True,
        "limit": 5,
    }
    sql = tool.template(values)
    assert sql == (
        'SELECT "id", "customer_id", "country", "placed", "secret_note" FROM "orders"'
        ' WHERE "id" >= :id_min AND "customer_id" = :customer_id'
        ' ORDER BY "country" DESC LIMIT :limit'
    )
    bound = bind(sql, "postgresql", values)
    assert bound.params == (2, 7, 5)
    assert check(bound.sql, "postgresql", None, SNAPSHOT).allowed


def test_denied_columns_never_appear() -> None:
    policy = Policy(denied_columns=("orders.secret_note",))
    seen = visible(SNAPSHOT, policy)
    tool = build_find_tool("find_orders", GeneratedSpec(table="orders"), seen, "postgresql", 100)
    sql = tool.template({"limit": 1})
    assert "secret_note" not in sql and "secret_note" not in str(tool.parameters)
    bound = bind(sql, "postgresql", {"limit": 1})
    assert check(bound.sql, "postgresql", policy, SNAPSHOT).allowed


def test_names_and_kinds() -> None:
    other = Table("sales", "Order Lines", "view", None, (_col("x", "text"),), ())
    assert generated_name(ORDERS) == "find_orders"
    assert generated_name(other) == "find_sales_order_lines"
    assert [column_kind(t) for t in ("BIGINT", "numeric(10,2)", "boolean", "tinyint(1)", "date", "timestamp with time zone", "DATETIME", "varchar(20)", "jsonb", "integer[]")] == [
        "integer", "number", "boolean", "boolean", "date", "timestamp", "timestamp", "string", None, None,
    ]  # fmt: skip


def test_leading_index_columns_become_filters_and_denied_ones_vanish() -> None:
    from dataclasses import replace

    indexed = replace(ORDERS, indexes=(("country", "placed"), ("secret_note",)))
    snapshot = Snapshot(dialect="postgresql", tables=(indexed,), default_schema="public")
    tool = build_find_tool(
        "find_orders", GeneratedSpec(table="orders"), snapshot, "postgresql", 500
    )
    names = [p.name for p in tool.parameters]
    assert "country" in names and "secret_note" in names
    assert "placed" not in names  # not a leading index column, not asked for
    hidden = visible(snapshot, Policy(denied_columns=("orders.secret_note",)))
    assert hidden.tables[0].indexes == (("country", "placed"),)
    tool = build_find_tool("find_orders", GeneratedSpec(table="orders"), hidden, "postgresql", 500)
    assert "secret_note" not in [p.name for p in tool.parameters]
