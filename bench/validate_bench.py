"""Validation cost: how long ``check`` takes on realistic analyst queries, per dialect.

Times :func:`conexor.sandbox.check` over the must-allow suite
(``tests/vectors/sandbox/suite/allow_<dialect>.sql``), once with the default
policy and no schema snapshot, and once with a policy that denies a column
and allows a list of tables (which adds the scope-by-scope table and column
pass, against a snapshot of the suite's schema). Pure CPU: no database is
needed. Each query is checked ``--repeat`` times after ``--warmup`` untimed
runs; the report gives the median, p95 and max over all timed calls, and the
median of the per-query medians. No figure is asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import get_args

from conexor.sandbox import Policy, check
from conexor.sandbox.dialects import Dialect
from conexor.schema import Column, Snapshot, Table

SUITE = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "sandbox" / "suite"

# The suite's schema, enough for the policy pass to resolve every name.
_TABLES = {
    "customers": ("id", "name", "email", "ssn", "country", "created_at", "tags", "profile"),
    "products": ("id", "name", "category", "price"),
    "orders": ("id", "customer_id", "status", "total", "created_at"),
    "order_items": ("order_id", "product_id", "quantity", "unit_price"),
    "events": ("id", "user", "select", "group", "order", "desc", "ts"),
    "audit_log": ("id", "note"),
    "customer_totals": ("id", "name", "total"),
}
_DEFAULT_SCHEMA: dict[Dialect, str] = {"postgresql": "public", "mysql": "bench", "sqlite": "main"}


def load_allow(dialect: Dialect) -> list[str]:
    """The SQL of every must-allow case for ``dialect``."""
    cases: list[list[str]] = []
    for line in (SUITE / f"allow_{dialect}.sql").read_text().splitlines():
        if line.startswith("-- id: "):
            cases.append([])
        elif cases:
            cases[-1].append(line)
    return ["\n".join(lines).strip() for lines in cases]


def snapshot(dialect: Dialect) -> Snapshot:
    """A snapshot of the suite's schema (plus ``sales.targets``)."""
    tables = [
        Table(
            schema=None,
            name=name,
            kind="view" if name == "customer_totals" else "table",
            comment=None,
            columns=tuple(Column(c, "TEXT", True, None, None, c == "id") for c in columns),
            foreign_keys=(),
        )
        for name, columns in _TABLES.items()
    ]
    tables.append(
        Table(
            schema="sales",
            name="targets",
            kind="table",
            comment=None,
            columns=tuple(
                Column(c, "TEXT", True, None, None, False) for c in ("region", "quarter", "amount")
            ),
            foreign_keys=(),
        )
    )
    return Snapshot(dialect=dialect, tables=tuple(tables), default_schema=_DEFAULT_SCHEMA[dialect])


def time_suite(
    queries: list[str],
    dialect: Dialect,
    policy: Policy | None,
    snap: Snapshot | None,
    repeat: int,
    warmup: int,
) -> dict[str, float]:
    """Summary statistics (microseconds) of ``check`` over ``queries``."""
    samples: list[float] = []
    per_query: list[float] = []
    for sql in queries:
        for _ in range(warmup):
            check(sql, dialect, policy, snap)
        timings = []
        for _ in range(repeat):
            start = time.perf_counter_ns()
            verdict = check(sql, dialect, policy, snap)
            timings.append((time.perf_counter_ns() - start) / 1000)
            if policy is None and not verdict.allowed:
                raise SystemExit(f"must-allow query was rejected ({verdict.rule}): {sql[:60]}")
        samples.extend(timings)
        per_query.append(statistics.median(timings))
    samples.sort()
    return {
        "queries": len(queries),
        "median_us": statistics.median(samples),
        "p95_us": samples[int(0.95 * (len(samples) - 1))],
        "max_us": samples[-1],
        "median_of_query_medians_us": statistics.median(per_query),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=50, help="timed checks per query")
    parser.add_argument("--warmup", type=int, default=5, help="untimed checks per query")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    policy = Policy(
        denied_columns=("customers.ssn",),
        allowed_tables=(*_TABLES, "sales.targets"),
    )
    rows = []
    for dialect in get_args(Dialect):
        queries = load_allow(dialect)
        plain = time_suite(queries, dialect, None, None, args.repeat, args.warmup)
        with_policy = time_suite(
            queries, dialect, policy, snapshot(dialect), args.repeat, args.warmup
        )
        rows.append({"dialect": dialect, "default": plain, "policy": with_policy})
    print(
        "| dialect | queries | median µs | p95 µs | max µs"
        " | median µs with policy | p95 µs with policy |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        plain, pol = row["default"], row["policy"]
        print(
            f"| {row['dialect']} | {plain['queries']:.0f} | {plain['median_us']:.0f}"
            f" | {plain['p95_us']:.0f} | {plain['max_us']:.0f}"
            f" | {pol['median_us']:.0f} | {pol['p95_us']:.0f} |"
        )
    if args.json:
        machine = {"python": sys.version.split()[0], "platform": platform.platform()}
        args.json.write_text(json.dumps({"machine": machine, "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
