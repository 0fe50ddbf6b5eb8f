"""The function allow-lists: consistent with the servers and with sqlglot."""

from __future__ import annotations

import textwrap

import psycopg
import pytest
import sqlglot
from sqlglot import exp

from conexor.sandbox import _sg_builtins as sg
from conexor.sandbox.functions import builtin_functions, function_denied_reason

from .conftest import pg_admin

_ARGS = ("", "a", "a, b", "a, b, c", "a, b, c, d")


def typed_keys(names: frozenset[str], samples: tuple[str, ...], dialect: str) -> set[str]:
    """The sqlglot node keys that ``names`` (called with 0-4 arguments) and ``samples`` produce."""
    keys: set[str] = set()

    def collect(tree: exp.Expr) -> None:
        for node in tree.walk():
            if isinstance(node, exp.Func) and not isinstance(node, exp.Anonymous):
                keys.add(node.key)

    for name in sorted(names):
        for args in _ARGS:
            try:
                tree = sqlglot.parse_one(f"SELECT {name}({args}) FROM t", read=dialect)
            except Exception:
                continue
            collect(tree)
    for sample in samples:
        collect(sqlglot.parse_one(sample, read=dialect))
    return keys


def render(keys: set[str]) -> str:
    """The key set as it is written in ``_sg_builtins``."""
    return "\n".join(textwrap.wrap(" ".join(sorted(keys)), 96))


@pytest.mark.parametrize(
    ("names", "samples", "dialect", "stored"),
    [
        (sg.MYSQL_BUILTIN_FUNCTIONS, sg.MYSQL_SYNTAX_SAMPLES, "mysql", sg.MYSQL_TYPED_KEYS),
        (sg.SQLITE_BUILTIN_FUNCTIONS, sg.SQLITE_SYNTAX_SAMPLES, "sqlite", sg.SQLITE_TYPED_KEYS),
    ],
)
def test_typed_keys_match_the_name_lists(
    names: frozenset[str], samples: tuple[str, ...], dialect: str, stored: frozenset[str]
) -> None:
    # If this fails after a sqlglot upgrade, review the difference and paste render(...)
    # into _sg_builtins: a new key means a listed name now parses to a new node type.
    assert typed_keys(names, samples, dialect) == set(stored), render(
        typed_keys(names, samples, dialect)
    )


@pytest.mark.postgres
def test_pg_allow_list_is_non_volatile_on_the_server() -> None:
    """Every generated name exists in pg_catalog, and none of its overloads is volatile."""
    listed = sorted(builtin_functions("postgresql"))
    with pg_admin() as conn:
        rows = conn.execute(
            "SELECT proname, bool_and(provolatile <> 'v'), bool_and(prokind <> 'p')"
            " FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace"
            " AND proname = ANY(%s) GROUP BY proname",
            (listed,),
        ).fetchall()
    found = {name: (nonvolatile, not_procedure) for name, nonvolatile, not_procedure in rows}
    assert sorted(set(listed) - set(found)) == []
    volatile = sorted(name for name, (nonvolatile, _) in found.items() if not nonvolatile)
    # The hand-picked volatile but harmless functions, and nothing else.
    assert volatile == sorted(
        {
            "clock_timestamp",
            "gen_random_uuid",
            "pg_blocking_pids",
            "pg_database_size",
            "pg_indexes_size",
            "pg_is_in_recovery",
            "pg_jit_available",
            "pg_notification_queue_usage",
            "pg_partition_ancestors",
            "pg_partition_tree",
            "pg_relation_size",
            "pg_table_size",
            "pg_tablespace_size",
            "pg_total_relation_size",
            "random",
            "timeofday",
        }
    )
    assert all(not_procedure for _, not_procedure in found.values())


@pytest.mark.parametrize(
    "name",
    [
        "pg_read_file",
        "pg_sleep",
        "pg_advisory_lock",
        "lo_export",
        "lo_import",
        "nextval",
        "setval",
        "set_config",
        "pg_terminate_backend",
        "pg_notify",
        "query_to_xml",
        "table_to_xml",
        "ts_stat",
        "ts_rewrite",
        "txid_current",
        "pg_create_logical_replication_slot",
        "pg_logical_emit_message",
        "dblink",
    ],
)
def test_dangerous_postgres_functions_are_not_listed(name: str) -> None:
    assert name not in builtin_functions("postgresql")


@pytest.mark.parametrize(
    ("dialect", "name"),
    [
        ("mysql", "sleep"),
        ("mysql", "benchmark"),
        ("mysql", "get_lock"),
        ("mysql", "load_file"),
        ("mysql", "last_insert_id"),
        ("mysql", "nextval"),
        ("mysql", "master_pos_wait"),
        ("sqlite", "load_extension"),
        ("sqlite", "readfile"),
        ("sqlite", "writefile"),
        ("sqlite", "zeroblob"),
        ("sqlite", "randomblob"),
        ("sqlite", "fts3_tokenizer"),
    ],
)
def test_dangerous_functions_are_not_listed(dialect: str, name: str) -> None:
    assert name not in builtin_functions(dialect)  # type: ignore[arg-type]


def test_reasons_say_why_and_what_to_do() -> None:
    assert function_denied_reason("pg_read_file", "pg_read_file", "postgresql") == (
        "function pg_read_file is not allowed: it reads files on the database server"
    )
    assert function_denied_reason("evil", "evil", "mysql") == (
        "function evil is not allowed: it is not on the allow-list for mysql/mariadb;"
        " ask an admin to add it to the database policy if it is safe"
    )


def test_psycopg_is_the_driver() -> None:
    # The allow-list check reads pg_catalog through psycopg 3, like the executor.
    assert psycopg.__version__.startswith("3.")
