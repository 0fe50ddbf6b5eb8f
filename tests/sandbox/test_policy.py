"""The database policy: its value rules, and the table and column rules check() applies."""

from __future__ import annotations

import pytest

from conexor.sandbox import (
    InvalidLimits,
    InvalidPolicy,
    Limits,
    Policy,
    check,
)
from conexor.sandbox.dialects import Dialect
from conexor.schema import Column, Snapshot, Table


def _table(name: str, columns: tuple[str, ...], schema: str | None = None) -> Table:
    return Table(
        schema=schema,
        name=name,
        kind="table",
        comment=None,
        columns=tuple(Column(c, "TEXT", True, None, None, c == "id") for c in columns),
        foreign_keys=(),
    )


def snapshot(dialect: str, default: str) -> Snapshot:
    return Snapshot(
        dialect=dialect,
        default_schema=default,
        tables=(
            _table("customers", ("id", "name", "email", "ssn")),
            _table("orders", ("id", "customer_id", "total")),
            _table("targets", ("region", "amount"), schema="sales"),
        ),
    )


SNAP: dict[Dialect, Snapshot] = {
    "postgresql": snapshot("postgresql", "public"),
    "mysql": snapshot("mysql", "shop"),
    "sqlite": snapshot("sqlite", "main"),
}
DIALECTS: tuple[Dialect, ...] = ("postgresql", "mysql", "sqlite")
DENY_SSN = Policy(denied_columns=("customers.ssn",))


# --- the value ---------------------------------------------------------------------


def test_defaults_restrict_nothing() -> None:
    policy = Policy()
    assert not policy.restricts_relations
    assert policy.limits() == Limits()


def test_lists_become_tuples_and_json_round_trips() -> None:
    policy = Policy(
        allowed_schemas=["public", "sales"],  # type: ignore[arg-type]
        allowed_tables=("customers", "sales.targets"),
        denied_columns=("customers.ssn", "public.customers.email"),
        extra_functions=("st_distance", "public.st_x"),
        max_rows=50,
        max_bytes=1024,
        timeout_s=5,
    )
    assert policy.allowed_schemas == ("public", "sales")
    assert policy.timeout_s == 5.0
    assert Policy.from_json(policy.to_json()) == policy
    assert Policy.from_json({}) == Policy()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"allowed_schemas": "public"}, "allowed_schemas"),
        ({"allowed_tables": ["a.b.c"]}, "allowed_tables"),
        ({"denied_columns": ["ssn"]}, "denied_columns"),
        ({"denied_columns": ["customers."]}, "denied_columns"),
        ({"extra_functions": ["ST_Distance"]}, "extra_functions"),
        ({"extra_functions": ["x; drop"]}, "extra_functions"),
        ({"max_rows": 0}, "max_rows"),
        ({"max_rows": True}, "max_rows"),
        ({"max_bytes": 10**12}, "max_bytes"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": "30"}, "timeout_s"),
        ({"allowed_tables": [" orders"]}, "allowed_tables"),
    ],
)
def test_invalid_fields_are_named(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        Policy(**kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_policy"
    assert field in caught.value.public
    assert "\n" not in caught.value.public


@pytest.mark.parametrize(
    "data",
    [
        [],
        "x",
        {"unknown": 1},
        {"allowed_tables": "orders"},
        {"denied_columns": None},
        {"max_rows": "10"},
        {"extra_functions": ("a",)},
    ],
)
def test_from_json_is_strict(data: object) -> None:
    with pytest.raises(InvalidPolicy):
        Policy.from_json(data)


def test_limits_are_capped_by_the_policy() -> None:
    policy = Policy(max_rows=100, timeout_s=3, max_bytes=2048)
    assert policy.limits(10) == Limits(max_rows=10, timeout_s=3.0, max_bytes=2048)
    assert policy.limits() == Limits(max_rows=100, timeout_s=3.0, max_bytes=2048)
    with pytest.raises(InvalidLimits) as caught:
        policy.limits(101)
    assert caught.value.public == "max_rows must be at most 100 for this database"
    with pytest.raises(InvalidLimits):
        policy.limits(0)


# --- denied columns ----------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM customers",
        "SELECT c.* FROM customers c",
        "SELECT ssn FROM customers",
        "SELECT c.ssn FROM customers AS c",
        "SELECT customers.ssn FROM customers",
        "SELECT id FROM customers WHERE ssn LIKE '1%'",
        "SELECT id FROM customers ORDER BY ssn",
        "SELECT count(*) FROM customers GROUP BY ssn",
        "SELECT id FROM customers GROUP BY id HAVING max(ssn) > '0'",
        "SELECT id, rank() OVER (PARTITION BY ssn ORDER BY id) FROM customers",
        "SELECT x.id FROM (SELECT * FROM customers) AS x",
        "SELECT x.ssn FROM (SELECT ssn FROM customers) AS x",
        "WITH c AS (SELECT * FROM customers) SELECT id FROM c",
        "SELECT o.id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.ssn = 'x')",
        "SELECT (SELECT max(ssn) FROM customers) AS m",
        "SELECT o.id, (SELECT c.ssn FROM customers c WHERE c.id = o.customer_id) FROM orders o",
        "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id",
        "SELECT id FROM orders UNION SELECT ssn FROM customers",
        "SELECT o.id FROM orders o NATURAL JOIN customers",
        "SELECT id FROM customers JOIN orders USING (id) WHERE 1 = 1 AND ssn IS NULL",
    ],
)
def test_denied_column_is_rejected_and_named(dialect: Dialect, sql: str) -> None:
    verdict = check(sql, dialect, DENY_SSN, SNAP[dialect])
    assert verdict.rule == "deny.column_denied", (verdict.rule, verdict.reason)
    assert "ssn" in verdict.reason or "NATURAL JOIN" in verdict.reason


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, name, email FROM customers",
        "SELECT c.id, c.name FROM customers c",
        "SELECT count(*) FROM customers",
        "SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id",
        "SELECT * FROM orders",
        "WITH ssn AS (SELECT 1 AS ssn) SELECT ssn FROM ssn",
        "SELECT x.ssn FROM (SELECT name AS ssn FROM orders o JOIN customers c ON c.id = 1) x",
    ],
)
def test_other_columns_pass(dialect: Dialect, sql: str) -> None:
    verdict = check(sql, dialect, DENY_SSN, SNAP[dialect])
    assert verdict.allowed, verdict.reason


def test_star_reason_says_what_to_do() -> None:
    verdict = check("SELECT * FROM customers", "postgresql", DENY_SSN, SNAP["postgresql"])
    assert verdict.reason == (
        "column customers.ssn is denied by policy: select the columns you need instead of *"
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT c FROM customers c",
        "SELECT row_to_json(c) FROM customers c",
        "SELECT to_jsonb(customers) FROM customers",
        "SELECT (c).ssn FROM customers c",
        "SELECT c::text FROM customers c",
        "SELECT c.text FROM customers c",
        "SELECT d FROM customers AS t(a, b, c, d)",
        "SELECT j.* FROM (customers c JOIN orders o ON o.customer_id = c.id) AS j",
        "SELECT j FROM (customers c JOIN orders o ON o.customer_id = c.id) AS j",
        "SELECT x FROM (customers c JOIN orders o ON o.customer_id = c.id) AS j(x)",
        "SELECT u FROM customers c, LATERAL unnest(ARRAY[c.ssn]) AS u",
    ],
)
def test_postgres_whole_row_references_are_rejected(sql: str) -> None:
    verdict = check(sql, "postgresql", DENY_SSN, SNAP["postgresql"])
    assert not verdict.allowed
    assert verdict.rule in ("deny.column_denied", "deny.function_not_allowed"), verdict.reason


def test_postgres_attribute_notation_needs_a_known_column() -> None:
    verdict = check("SELECT o.evil FROM orders o", "postgresql", Policy(), SNAP["postgresql"])
    assert verdict.rule == "deny.function_not_allowed"
    assert "attribute notation" in verdict.reason
    assert check("SELECT o.total FROM orders o", "postgresql", Policy(), SNAP["postgresql"]).allowed


def test_cte_cannot_hide_a_real_table() -> None:
    # The outer "customers" is the real table, not the CTE defined inside the subquery.
    sql = "SELECT * FROM customers, (WITH customers AS (SELECT 1 AS id) SELECT id FROM customers) x"
    for dialect in DIALECTS:
        assert check(sql, dialect, DENY_SSN, SNAP[dialect]).rule == "deny.column_denied"


# --- allowed tables and schemas ----------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_allowed_tables(dialect: Dialect) -> None:
    policy = Policy(allowed_tables=("orders",))
    assert check("SELECT * FROM orders", dialect, policy, SNAP[dialect]).allowed
    for sql in (
        "SELECT * FROM customers",
        "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers)",
        "WITH x AS (SELECT * FROM customers) SELECT * FROM x",
        "SELECT * FROM orders JOIN customers ON true",
    ):
        verdict = check(sql, dialect, policy, SNAP[dialect])
        assert verdict.rule == "deny.table_not_allowed", (sql, verdict.reason)
        assert "customers" in verdict.reason


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_allowed_schemas(dialect: Dialect) -> None:
    default = SNAP[dialect].default_schema
    assert default is not None
    policy = Policy(allowed_schemas=(default,))
    assert check("SELECT * FROM orders", dialect, policy, SNAP[dialect]).allowed
    verdict = check("SELECT * FROM sales.targets", dialect, policy, SNAP[dialect])
    assert verdict.rule == "deny.schema_not_allowed"
    assert "sales" in verdict.reason
    catalog = check("SELECT * FROM information_schema.tables", dialect, policy, SNAP[dialect])
    assert catalog.rule == "deny.schema_not_allowed"
    listed = Policy(allowed_schemas=(default, "information_schema"))
    assert check("SELECT * FROM information_schema.tables", dialect, listed, SNAP[dialect]).allowed


def test_unknown_table_under_allow_list_is_denied() -> None:
    policy = Policy(allowed_tables=("orders",))
    verdict = check("SELECT * FROM secrets", "postgresql", policy, SNAP["postgresql"])
    assert verdict.rule == "deny.table_not_allowed"


def test_catalog_statistics_are_data_under_restrictions() -> None:
    verdict = check("SELECT * FROM pg_stats", "postgresql", DENY_SSN, SNAP["postgresql"])
    assert verdict.rule == "deny.table_not_allowed"
    assert check("SELECT * FROM pg_class", "postgresql", DENY_SSN, SNAP["postgresql"]).allowed
    assert check("SELECT * FROM pg_stats", "postgresql", Policy(), SNAP["postgresql"]).allowed


# --- without a snapshot --------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_restrictions_without_snapshot_fail_closed(dialect: Dialect) -> None:
    for policy in (DENY_SSN, Policy(allowed_tables=("orders",)), Policy(allowed_schemas=("x",))):
        verdict = check("SELECT id FROM orders", dialect, policy)
        assert verdict.rule == "deny.schema_unknown"
        assert "refresh the schema" in verdict.reason


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_restrictions_without_snapshot_pass(dialect: Dialect) -> None:
    assert check("SELECT * FROM customers", dialect, Policy(max_rows=5)).allowed
    assert check("SELECT * FROM customers", dialect).allowed


# --- extra functions ---------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_extra_functions(dialect: Dialect) -> None:
    sql = "SELECT st_hausdorffdistance(a, b) FROM orders"
    assert check(sql, dialect).rule == "deny.function_not_allowed"
    assert check(sql, dialect, Policy(extra_functions=("st_hausdorffdistance",))).allowed


def test_qualified_extra_function() -> None:
    sql = "SELECT gis.st_distance(a, b) FROM orders"
    assert check(sql, "postgresql", Policy(extra_functions=("gis.st_distance",))).allowed
    assert check(sql, "postgresql", Policy(extra_functions=("st_distance",))).allowed
    other = "SELECT public.st_distance(a, b) FROM orders"
    assert not check(other, "postgresql", Policy(extra_functions=("gis.st_distance",))).allowed


def test_builtin_name_in_another_schema_is_not_the_builtin() -> None:
    verdict = check("SELECT evil.lower('x')", "postgresql")
    assert verdict.rule == "deny.function_not_allowed"
    assert check("SELECT pg_catalog.lower('x')", "postgresql").allowed
