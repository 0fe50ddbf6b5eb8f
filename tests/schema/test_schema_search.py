"""search_schema on a large generated schema: it finds, it stays bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conexor.schema import Column, Snapshot, Table, search


def _big(n: int) -> Snapshot:
    tables = tuple(
        Table(
            schema=None,
            name=f"t{i:03d}",
            kind="table",
            comment="invoices of region" if i == 417 else None,
            columns=(
                Column("id", "INTEGER", False, None, None, True),
                Column(f"c{i}_amount", "NUMERIC", True, None, None, False),
            ),
            foreign_keys=(),
        )
        for i in range(n)
    )
    return Snapshot(dialect="sqlite", tables=tables)


def test_finds_by_comment_and_column_in_a_500_table_schema() -> None:
    snapshot = _big(500)
    assert search(snapshot, "invoices")["rows"] == [["t417", None, "table", "invoices of region"]]
    assert search(snapshot, "c42_amount")["rows"] == [["t042", "c42_amount", "NUMERIC", None]]
    everything = search(snapshot, "*", limit=50)
    assert everything["row_count"] == 50 and everything["truncated"] is True


@given(st.text(min_size=1, max_size=30))
def test_any_pattern_is_safe_and_bounded(pattern: str) -> None:
    result = search(_big(30), pattern, limit=10)
    assert result["row_count"] <= 10  # type: ignore[operator]
