"""Properties of the validator, checked with hypothesis.

1. Random compositions of allowed fragments (select items, joins, filters,
   ordering, CTEs, subqueries, set operations, comments) stay allowed.
2. Wrapping any must-reject case of the adversarial suite in comments, CTEs,
   subqueries or set operations, any number of times, keeps it rejected.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conexor.sandbox import check
from conexor.sandbox.dialects import Dialect

from .suite import load

DIALECTS: tuple[Dialect, ...] = ("postgresql", "mysql", "sqlite")

_COMMON_ITEMS = [
    "o.id",
    "o.total",
    "o.status",
    "c.name",
    "count(*) OVER ()",
    "row_number() OVER (ORDER BY o.id)",
    "sum(o.total) OVER (PARTITION BY o.customer_id)",
    "lag(o.total) OVER (ORDER BY o.created_at)",
    "CASE WHEN o.total > 10 THEN 'big' ELSE 'small' END",
    "coalesce(o.status, 'none')",
    "upper(c.name)",
    "round(o.total, 1)",
    "abs(o.total)",
    "'DELETE FROM orders; DROP TABLE x' AS s",
    "(SELECT max(total) FROM orders) AS top",
    "o.total * 2 + 1",
]
_ITEMS: dict[Dialect, list[str]] = {
    "postgresql": [
        *_COMMON_ITEMS,
        "date_trunc('month', o.created_at)",
        "c.profile ->> 'plan'",
        "c.tags[1]",
        "regexp_replace(c.name, '[0-9]+', '')",
        "percent_rank() OVER (ORDER BY o.total)",
        "o.created_at::date",
        "extract(year FROM o.created_at)",
    ],
    "mysql": [
        *_COMMON_ITEMS,
        "DATE_FORMAT(o.created_at, '%Y-%m')",
        "JSON_EXTRACT(c.profile, '$.plan')",
        "IFNULL(o.status, '?')",
        "CONCAT_WS('-', c.country, o.id)",
        "REGEXP_REPLACE(c.name, '[0-9]+', '')",
        "YEAR(o.created_at)",
    ],
    "sqlite": [
        *_COMMON_ITEMS,
        "strftime('%Y-%m', o.created_at)",
        "json_extract(c.profile, '$.plan')",
        "ifnull(o.status, '?')",
        "substr(c.name, 1, 3)",
        "date(o.created_at, '+1 day')",
        "c.name || '!'",
    ],
}
_FROMS = [
    "orders o JOIN customers c ON c.id = o.customer_id",
    "orders o LEFT JOIN customers c ON c.id = o.customer_id",
    "customers c JOIN orders o ON o.customer_id = c.id AND o.total > 0",
]
_WHERES = [
    "o.total > 10",
    "o.status IN ('paid', 'shipped')",
    "c.name LIKE 'C%'",
    "o.total BETWEEN 1 AND 100",
    "EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)",
    "o.customer_id IN (SELECT id FROM customers WHERE country = 'NL')",
    "NOT (o.id = 3) OR o.status IS NULL",
]


def _select(dialect: Dialect) -> st.SearchStrategy[str]:
    return st.builds(
        lambda items, source, where, order, limit: (
            f"SELECT {', '.join(items)} FROM {source}"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + (" ORDER BY 1" if order else "")
            + (f" LIMIT {limit}" if limit is not None else "")
        ),
        st.lists(st.sampled_from(_ITEMS[dialect]), min_size=1, max_size=4),
        st.sampled_from(_FROMS),
        st.lists(st.sampled_from(_WHERES), max_size=3),
        st.booleans(),
        st.one_of(st.none(), st.integers(0, 500)),
    )


_ALLOWED_WRAPS = [
    lambda q: f"WITH w AS ({q}) SELECT * FROM w",
    lambda q: f"SELECT * FROM ({q}) AS w",
    lambda q: f"/* report */ {q}",
    lambda q: f"{q} -- note\n",
    lambda q: f"{q};",
    lambda q: f"SELECT count(*) FROM ({q}) AS w",
]


@st.composite
def _allowed_query(draw: st.DrawFn, dialect: Dialect) -> str:
    query = draw(_select(dialect))
    if draw(st.booleans()):
        other = draw(_select(dialect))
        query = f"SELECT * FROM ({query}) AS a UNION ALL SELECT * FROM ({other}) AS b"
    for wrap in draw(
        st.lists(st.sampled_from(_ALLOWED_WRAPS[:3] + _ALLOWED_WRAPS[5:]), max_size=3)
    ):
        query = wrap(query)
    if draw(st.booleans()):
        query = draw(st.sampled_from(_ALLOWED_WRAPS[3:5]))(query)
    return query


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), dialect=st.sampled_from(DIALECTS))
def test_compositions_of_allowed_fragments_stay_allowed(
    data: st.DataObject, dialect: Dialect
) -> None:
    sql = data.draw(_allowed_query(dialect))
    verdict = check(sql, dialect)
    assert verdict.allowed, (sql, verdict.rule, verdict.reason)


# A lone keyword (VACUUM, COMMIT) wrapped as "SELECT (VACUUM)" is only a column
# name, no longer the statement, so those cases are left out; so are cases that
# only the schema snapshot or the server can refuse.
_REJECTS = {
    dialect: [
        case.sql
        for case in load("reject", dialect)
        if case.needs is None and len(case.sql.split()) > 1
    ]
    for dialect in DIALECTS
}

# Newlines keep a trailing line comment of the case from swallowing the wrapper.
_WRAPS = [
    lambda q: f"/* wrapped */ {q}",
    lambda q: f"{q}\n-- wrapped\n",
    lambda q: f"WITH w AS (\n{q}\n) SELECT * FROM w",
    lambda q: f"SELECT * FROM (\n{q}\n) AS w",
    lambda q: f"SELECT (\n{q}\n) AS w",
    lambda q: f"SELECT 1 WHERE EXISTS (\n{q}\n)",
    lambda q: f"SELECT 1 UNION ALL\n{q}\n",
    lambda q: f"SELECT * FROM orders WHERE id IN (\n{q}\n)",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    dialect=st.sampled_from(DIALECTS),
    wraps=st.lists(st.sampled_from(_WRAPS), min_size=1, max_size=3),
)
def test_wrapping_a_rejected_case_keeps_it_rejected(
    data: st.DataObject, dialect: Dialect, wraps: list[object]
) -> None:
    sql = data.draw(st.sampled_from(_REJECTS[dialect]))
    for wrap in wraps:
        sql = wrap(sql)  # type: ignore[operator]
    verdict = check(sql, dialect)
    assert not verdict.allowed, sql
