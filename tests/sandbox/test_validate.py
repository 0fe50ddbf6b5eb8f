"""The validator against the vector files, plus properties it must always keep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conexor.sandbox import MAX_SQL_BYTES, RULES, Policy, Verdict, check
from conexor.sandbox.dialects import Dialect

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "sandbox"
DIALECTS: tuple[Dialect, ...] = ("postgresql", "mysql", "sqlite")
PREFIXES: dict[str, Dialect] = {"pg_": "postgresql", "my_": "mysql", "lite_": "sqlite"}
RULE_LINE = re.compile(r"^-- rule: (\S+)$", re.MULTILINE)


def _dialects_for(path: Path) -> tuple[Dialect, ...]:
    for prefix, dialect in PREFIXES.items():
        if path.name.startswith(prefix):
            return (dialect,)
    return DIALECTS


def _cases(kind: str) -> list[pytest.param]:
    cases = []
    for path in sorted((VECTORS / kind).glob("*.sql")):
        for dialect in _dialects_for(path):
            cases.append(pytest.param(path, dialect, id=f"{path.stem}-{dialect}"))
    return cases


def test_every_vector_says_what_it_checks() -> None:
    paths = sorted(VECTORS.glob("*/*.sql"))
    assert len(paths) > 40
    for path in paths:
        first = path.read_text().splitlines()[0]
        assert first.startswith("-- "), path.name
        assert not first.startswith("-- rule:"), path.name


@pytest.mark.parametrize(("path", "dialect"), _cases("allow"))
def test_allow_vectors(path: Path, dialect: Dialect) -> None:
    verdict = check(path.read_text(), dialect)
    assert verdict.allowed, (verdict.rule, verdict.reason)
    assert verdict.rule == "allow.select"
    assert verdict.normalized
    assert check(verdict.normalized, dialect).allowed


@pytest.mark.parametrize(("path", "dialect"), _cases("deny"))
def test_deny_vectors(path: Path, dialect: Dialect) -> None:
    text = path.read_text()
    verdict = check(text, dialect)
    assert not verdict.allowed, verdict
    assert verdict.rule in RULES
    assert verdict.reason
    assert "\n" not in verdict.reason
    expected = RULE_LINE.search(text)
    if expected is not None:
        assert verdict.rule == expected.group(1), verdict.reason


@pytest.mark.parametrize("dialect", DIALECTS)
def test_reason_names_the_statement(dialect: Dialect) -> None:
    verdict = check("INSERT INTO orders (id) VALUES (1)", dialect)
    assert verdict.reason == "only a single read-only SELECT statement is allowed; got INSERT"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_too_long(dialect: Dialect) -> None:
    sql = "SELECT 1 " + "-" * MAX_SQL_BYTES
    assert check(sql, dialect).rule == "deny.too_long"
    # The limit counts bytes, not characters.
    assert check("SELECT '" + "é" * (MAX_SQL_BYTES // 2) + "'", dialect).rule == "deny.too_long"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_nul_character(dialect: Dialect) -> None:
    assert check("SELECT 1\x00; DELETE FROM orders", dialect).rule == "deny.nul_character"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("sql", ["", "   \n\t"])
def test_blank_is_empty(dialect: Dialect, sql: str) -> None:
    assert check(sql, dialect).rule == "deny.empty"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_parse_error(dialect: Dialect) -> None:
    verdict = check("SELEC 1 FROM", dialect)
    assert verdict.rule == "deny.parse_error"
    assert verdict.normalized == ""


def test_lone_surrogate_is_denied() -> None:
    assert check("SELECT '\ud800'", "postgresql").rule == "deny.parse_error"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_normalisation_ignores_whitespace_case_and_comments(dialect: Dialect) -> None:
    a = check("SELECT id, total FROM orders WHERE total > 10", dialect)
    b = check("select   id,total\nfrom orders -- big ones\n where total>10 ;", dialect)
    assert a.allowed
    assert b.allowed
    assert a.normalized == b.normalized


def test_explain_analyze_false_is_still_denied() -> None:
    assert check("EXPLAIN (ANALYZE false) SELECT 1", "postgresql").rule == "deny.explain_analyze"


def test_verdict_is_frozen() -> None:
    verdict = check("SELECT 1", "sqlite")
    assert isinstance(verdict, Verdict)
    with pytest.raises(AttributeError):
        verdict.allowed = False  # type: ignore[misc]


# --- properties ----------------------------------------------------------------

_IDENT = st.sampled_from(["id", "total", "name", "orders", "customers", "t", "x"])
_SELECTS = st.builds(
    lambda cols, table, where, limit: (
        f"SELECT {', '.join(cols)} FROM {table}"
        + (f" WHERE {where} > 1" if where else "")
        + (f" LIMIT {limit}" if limit is not None else "")
    ),
    st.lists(_IDENT, min_size=1, max_size=3),
    _IDENT,
    st.one_of(st.none(), _IDENT),
    st.one_of(st.none(), st.integers(0, 1000)),
)
_NOISE = st.sampled_from(
    [
        "",
        ";",
        "; DELETE FROM t",
        " FOR UPDATE",
        " -- c",
        " /* c */",
        " UNION SELECT 1",
        "'",
        ")",
        " INTO y",
    ]
)
_SQLISH = st.one_of(
    st.text(max_size=200),
    st.builds(lambda s, n: s + n, _SELECTS, _NOISE),
    st.builds(lambda a, b: a + b, st.text(max_size=20), _SELECTS),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sql=_SQLISH, dialect=st.sampled_from(DIALECTS))
def test_check_never_raises_and_allowed_is_stable(sql: str, dialect: Dialect) -> None:
    verdict = check(sql, dialect)
    assert verdict.rule in RULES
    assert verdict.rule.startswith("allow.") == verdict.allowed
    if verdict.allowed:
        again = check(verdict.normalized, dialect)
        assert again.allowed, (sql, verdict.normalized, again)
        assert again.normalized == verdict.normalized


# --- reasons say which rule and how to write it instead ---------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_locking_reason(dialect: Dialect) -> None:
    verdict = check("SELECT * FROM orders FOR UPDATE", dialect)
    assert verdict.rule == "deny.locking_clause"
    assert verdict.reason == "FOR UPDATE is not allowed: remove the locking clause"


def test_function_reason_names_the_function() -> None:
    verdict = check("SELECT * FROM customers WHERE pg_read_file('x') <> ''", "postgresql")
    assert verdict.rule == "deny.function_not_allowed"
    assert (
        verdict.reason
        == "function pg_read_file is not allowed: it reads files on the database server"
    )
    unknown = check("SELECT my_udf(1)", "postgresql")
    assert unknown.reason == (
        "function my_udf is not allowed: it is not on the allow-list for postgresql;"
        " ask an admin to add it to the database policy if it is safe"
    )


def test_optimizer_hints_are_refused_on_mysql() -> None:
    verdict = check("SELECT /*+ SET_VAR(max_execution_time=0) */ 1", "mysql")
    assert verdict.rule == "deny.executable_comment"
    assert check("SELECT /* plain */ 1", "mysql").allowed


def test_every_rule_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text()
    assert [rule for rule in RULES if f"`{rule}`" not in docs] == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM t",
        "SELECT a FROM t, LATERAL (SELECT * FROM u WHERE u.a = t.a) s",
        "SELECT j -> 'a' ->> 'b', j #>> '{a,b}', j @> '{}' FROM t",
        "SELECT arr[1], arr && ARRAY[1], 1 = ANY(arr) FROM t",
        "SELECT x ~* 'a|b', regexp_matches(x, '(a)') FROM t",
        "SELECT a, b, count(*) FROM t GROUP BY GROUPING SETS ((a), (b), ())",
    ],
)
def test_postgres_analytics_pass(sql: str) -> None:
    assert check(sql, "postgresql").allowed, check(sql, "postgresql").reason


def test_default_arguments_to_check_keep_working() -> None:
    # The first two arguments are the whole interface older callers know.
    assert check("SELECT 1", "postgresql").allowed
    assert check("SELECT 1", "postgresql", None, None).allowed


def test_executor_reuses_a_decision_only_for_the_very_same_objects() -> None:
    from conexor.sandbox.validate import assess, assess_again

    sql = "SELECT id FROM customers"
    open_policy = Policy()
    first, _ = assess(sql, "postgresql", open_policy, None)
    again, _ = assess_again(sql, "postgresql", open_policy, None)
    assert again is first  # the decision the tool just made, not a new one

    # Another policy object, even one that denies the table, is decided afresh.
    closed = Policy(allowed_tables=("orders",))
    denied, _ = assess_again(sql, "postgresql", closed, None)
    assert not denied.allowed
    assert first.allowed

    # So is another statement, and a statement that was never assessed.
    other, _ = assess_again("SELECT 2", "postgresql", open_policy, None)
    assert other.allowed and other is not first
    refused, _ = assess_again("DELETE FROM customers", "postgresql", open_policy, None)
    assert not refused.allowed
