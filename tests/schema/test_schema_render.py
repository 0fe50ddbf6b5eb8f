"""Tool results and their text rendering."""

from __future__ import annotations

import pytest

from conexor.schema import Column, ForeignKey, Snapshot, Table, as_text, describe, table_list
from conexor.schema.render import MAX_CELL_CHARS

ORDER_LINES = Table(
    schema="sales",
    name="order_lines",
    kind="table",
    comment="One row per product in an order",
    columns=(
        Column("order_id", "INTEGER", False, None, None, True),
        Column("line", "INTEGER", False, None, None, True),
        Column("product_id", "INTEGER", False, None, "What was bought", False),
        Column("qty", "INTEGER", False, "1", None, False),
        Column("region", "TEXT", True, None, None, False),
        Column("country", "TEXT", True, None, None, False),
    ),
    foreign_keys=(
        ForeignKey(("order_id",), "sales.orders", ("id",)),
        ForeignKey(("product_id",), "products", ("id",)),
        ForeignKey(("region", "country"), "geo.regions", ("code", "country")),
    ),
)


def test_table_list() -> None:
    snap = Snapshot(
        "postgresql",
        (
            Table(
                None,
                "products",
                "table",
                None,
                (Column("id", "INTEGER", False, None, None, True),),
                (),
            ),
            ORDER_LINES,
        ),
    )
    assert table_list(snap) == {
        "columns": ["table", "kind", "columns", "comment"],
        "rows": [
            ["products", "table", 1, None],
            ["sales.order_lines", "table", 6, "One row per product in an order"],
        ],
        "row_count": 2,
        "truncated": False,
    }


def test_describe() -> None:
    result = describe(ORDER_LINES)
    assert result["columns"] == ["column", "type", "nullable", "key", "default", "comment"]
    assert result["row_count"] == 6
    assert result["truncated"] is False
    assert result["rows"] == [
        ["order_id", "INTEGER", False, "PK, FK -> sales.orders.id", None, None],
        ["line", "INTEGER", False, "PK", None, None],
        ["product_id", "INTEGER", False, "FK -> products.id", None, "What was bought"],
        ["qty", "INTEGER", False, "", "1", None],
        ["region", "TEXT", True, "FK -> geo.regions.code", None, None],
        ["country", "TEXT", True, "FK -> geo.regions.country", None, None],
    ]


def test_as_text_aligns() -> None:
    text = as_text(
        {
            "columns": ["name", "n", "ok", "note"],
            "rows": [
                ["Ana", 12, True, None],
                ["Bruno", 3.5, False, "line\nbreak\ttab\x01"],
                ["Zoë", -7, None, ["a", {"b": 1}]],
                ["Dan", None, True, "x"],
            ],
            "row_count": 4,
            "truncated": False,
        }
    )
    assert text == (
        "name      n  ok     note\n"
        "-----  ----  -----  --------------------\n"
        "Ana      12  true   NULL\n"
        "Bruno   3.5  false  line\\nbreak\\ttab\\x01\n"
        'Zoë      -7  NULL   ["a",{"b":1}]\n'
        "Dan    NULL  true   x\n"
        "(4 rows)"
    )


def test_as_text_single_row_and_truncated_flag() -> None:
    text = as_text({"columns": ["x"], "rows": [[1]], "row_count": 1, "truncated": True})
    assert text.endswith("(1 row, truncated: more rows exist)")
    assert as_text({"columns": ["x"], "rows": [], "row_count": 0}).endswith("(0 rows)")


def test_as_text_cuts_long_cells() -> None:
    text = as_text({"columns": ["x"], "rows": [["y" * 1000]]})
    cell = text.splitlines()[2]
    assert len(cell) == MAX_CELL_CHARS
    assert cell.endswith("…")


@pytest.mark.parametrize("max_chars", [0, 10, 60, 100, 250, 1000, 8000])
def test_as_text_respects_max_chars(max_chars: int) -> None:
    result = {
        "columns": ["id", "email"],
        "rows": [[i, f"user{i}@example.com"] for i in range(500)],
        "row_count": 500,
        "truncated": False,
    }
    text = as_text(result, max_chars=max_chars)
    assert len(text) <= max_chars
    if max_chars >= 250:
        lines = text.splitlines()
        shown = len(lines) - 3
        assert lines[-1] == f"({shown} of 500 rows shown; text limited to {max_chars} characters)"
        # Widths come from the rows that could fit, not from all 500.
        assert lines[-2].lstrip().startswith(f"{shown - 1}  user{shown - 1}@")
        assert len(lines[-2]) - len(lines[-2].lstrip()) <= 1


def test_as_text_renders_only_rows_that_can_fit() -> None:
    """A huge result costs what its text shows: rows past the limit are never rendered."""
    seen: list[int] = []

    class Cell:
        def __init__(self, i: int) -> None:
            self.i = i

        def __str__(self) -> str:
            seen.append(self.i)
            return f"value-{self.i}"

    rows = [[Cell(i)] for i in range(100_000)]
    text = as_text({"columns": ["v"], "rows": rows, "row_count": len(rows)}, max_chars=500)
    assert len(text) <= 500
    assert text.endswith("characters)")
    assert len(seen) < 100
