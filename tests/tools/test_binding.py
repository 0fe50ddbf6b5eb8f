"""``:name`` markers are found by the dialect's tokenizer and become bound placeholders."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conexor.sandbox import QueryRejected, check
from conexor.sandbox.placeholders import pyformat
from conexor.tools.binding import bind, find_markers, positional_to_named
from conexor.tools.errors import InvalidToolDefinition

TEMPLATE = (
    "SELECT a, ':x' AS \"b:c\" FROM t -- :comment\n"
    "WHERE c = :country AND d IN (:ids) /* :block */ LIMIT :limit"
)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_markers_outside_strings_comments_and_identifiers(dialect: str) -> None:
    sql = TEMPLATE if dialect != "mysql" else TEMPLATE.replace('"b:c"', "`b:c`")
    assert [m.name for m in find_markers(sql, dialect)] == ["country", "ids", "limit"]  # type: ignore[arg-type]
    bound = bind(sql, dialect, {"country": "DE", "ids": [1, 2, 3], "limit": 5})  # type: ignore[arg-type]
    assert bound.params == ("DE", 1, 2, 3, 5)
    if dialect == "postgresql":
        assert "c = $1 AND d IN ($2, $3, $4)" in bound.sql and bound.sql.endswith("LIMIT $5")
    else:
        assert "c = ? AND d IN (?, ?, ?)" in bound.sql and bound.sql.endswith("LIMIT ?")
    assert "':x'" in bound.sql and ":comment" in bound.sql
    assert check(bound.sql, dialect).allowed  # type: ignore[arg-type]


def test_postgres_casts_are_not_markers() -> None:
    assert [m.name for m in find_markers("SELECT :v::int, x::text FROM t", "postgresql")] == ["v"]
    assert bind("SELECT :v::int", "postgresql", {"v": 1}).sql == "SELECT $1::int"


@pytest.mark.parametrize(("dialect", "sql"), [("postgresql", "SELECT $1"), ("mysql", "SELECT ?")])
def test_native_placeholders_are_refused(dialect: str, sql: str) -> None:
    with pytest.raises(InvalidToolDefinition, match="name parameters as :name"):
        find_markers(sql, dialect)  # type: ignore[arg-type]


def test_positional_to_named() -> None:
    assert (
        positional_to_named(
            "SELECT * FROM h WHERE a = $2 OR b ILIKE '%' || $1", "postgresql", ["n", "m"]
        )
        == "SELECT * FROM h WHERE a = :m OR b ILIKE '%' || :n"
    )
    assert positional_to_named(
        "SELECT '?', x FROM t WHERE a = ? AND b = ?", "mysql", ["a", "b"]
    ) == ("SELECT '?', x FROM t WHERE a = :a AND b = :b")
    with pytest.raises(InvalidToolDefinition):
        positional_to_named("SELECT ?", "sqlite", ["a", "b"])


def test_pyformat_doubles_percent_and_counts() -> None:
    assert pyformat("SELECT '%' || ? FROM t WHERE a LIKE '%?%'", 1) == (
        "SELECT '%%' || %s FROM t WHERE a LIKE '%%?%%'"
    )
    with pytest.raises(QueryRejected) as caught:
        pyformat("SELECT ?", 2)
    assert caught.value.rule == "deny.parameter_mismatch"


@given(st.text(max_size=40))
def test_values_never_reach_the_statement_text(value: str) -> None:
    for dialect in ("postgresql", "mysql", "sqlite"):
        bound = bind("SELECT a FROM t WHERE b = :v", dialect, {"v": value})
        assert bound.params == (value,)
        assert bound.sql in ("SELECT a FROM t WHERE b = $1", "SELECT a FROM t WHERE b = ?")
