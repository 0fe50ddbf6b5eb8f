"""Which functions a query may call: per-dialect allow-lists of side-effect-free built-ins.

A read-only transaction does not stop a function from taking an advisory
lock, reading a server file, creating a large object, signalling another
backend or sleeping. So every function call in a query is checked against an
allow-list for its dialect, and anything else is denied: user-defined and
unknown functions included, unless the database's policy lists them in
``extra_functions`` (for example PostGIS's ``st_distance``).

The lists live in :mod:`conexor.sandbox._pg_builtins` (generated from
PostgreSQL 15's catalog: non-volatile functions only, then reviewed) and
:mod:`conexor.sandbox._sg_builtins` (MySQL/MariaDB and SQLite, written by
hand). This module adds the few volatile PostgreSQL functions that are
harmless, and the reasons shown for the dangerous ones a user is most likely
to try. docs/sandbox.md says how to extend the lists safely.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from conexor.sandbox._pg_builtins import PG_BUILTIN_FUNCTIONS, PG_BUILTIN_OPERATORS
from conexor.sandbox._sg_builtins import (
    MYSQL_BUILTIN_FUNCTIONS,
    MYSQL_TYPED_KEYS,
    SQLITE_BUILTIN_FUNCTIONS,
    SQLITE_TYPED_KEYS,
)
from conexor.sandbox.dialects import Dialect

__all__ = [
    "builtin_functions",
    "builtin_operators",
    "extra_allows",
    "function_denied_reason",
    "typed_function_keys",
]

# Volatile in pg_catalog (so not generated), but they change nothing.
_PG_VOLATILE_BUT_SAFE: Final = frozenset(
    {
        "random",
        "clock_timestamp",
        "timeofday",
        "gen_random_uuid",
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_database_size",
        "pg_tablespace_size",
        "pg_partition_tree",
        "pg_partition_ancestors",
        "pg_is_in_recovery",
        "pg_jit_available",
        "pg_blocking_pids",
        "pg_notification_queue_usage",
    }
)

_PG: Final = PG_BUILTIN_FUNCTIONS | _PG_VOLATILE_BUT_SAFE

_BUILTINS: Final[dict[Dialect, frozenset[str]]] = {
    "postgresql": _PG,
    "mysql": MYSQL_BUILTIN_FUNCTIONS,
    "sqlite": SQLITE_BUILTIN_FUNCTIONS,
}

_TYPED: Final[dict[Dialect, frozenset[str]]] = {
    "postgresql": frozenset(),
    "mysql": MYSQL_TYPED_KEYS,
    "sqlite": SQLITE_TYPED_KEYS,
}

# Why the best-known dangerous functions are refused; shown in the reason.
_WHY: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "pg_read_file",
            "pg_read_binary_file",
            "pg_ls_dir",
            "pg_stat_file",
            "pg_ls_logdir",
            "pg_ls_waldir",
            "pg_ls_tmpdir",
            "pg_current_logfile",
            "load_file",
            "readfile",
        ),
        "it reads files on the database server",
    ),
    **dict.fromkeys(
        ("lo_export", "lo_import", "lo_create", "lo_creat", "lo_put", "lo_unlink", "lo_from_bytea"),
        "it reads or writes large objects or server files",
    ),
    **dict.fromkeys(("writefile", "edit"), "it writes files"),
    **dict.fromkeys(
        (
            "pg_advisory_lock",
            "pg_advisory_xact_lock",
            "pg_try_advisory_lock",
            "pg_try_advisory_xact_lock",
            "pg_advisory_lock_shared",
            "get_lock",
            "release_lock",
            "release_all_locks",
            "is_free_lock",
            "is_used_lock",
        ),
        "it takes or releases a lock",
    ),
    **dict.fromkeys(
        ("pg_sleep", "pg_sleep_for", "pg_sleep_until", "sleep", "benchmark"),
        "it keeps the database busy on purpose",
    ),
    **dict.fromkeys(
        ("pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile"),
        "it signals the server or another session",
    ),
    **dict.fromkeys(
        ("nextval", "setval", "currval", "lastval"),
        "it uses a sequence (nextval and setval change it)",
    ),
    **dict.fromkeys(("set_config", "setseed"), "it changes a session setting"),
    **dict.fromkeys(
        ("pg_create_logical_replication_slot", "pg_create_physical_replication_slot"),
        "it creates a replication slot that outlives the transaction",
    ),
    **dict.fromkeys(("pg_notify", "pg_logical_emit_message"), "it sends a message to others"),
    **dict.fromkeys(
        ("query_to_xml", "table_to_xml", "cursor_to_xml", "ts_stat", "ts_rewrite", "dblink"),
        "it runs SQL text that the sandbox cannot check",
    ),
    **dict.fromkeys(("txid_current", "pg_current_xact_id"), "it assigns a transaction id"),
    **dict.fromkeys(
        ("master_pos_wait", "master_gtid_wait", "source_pos_wait"), "it waits for replication"
    ),
    **dict.fromkeys(("last_insert_id",), "it can change session state"),
    **dict.fromkeys(("load_extension",), "it loads code into the database"),
}

_DIALECT_NAMES: Final[dict[Dialect, str]] = {
    "postgresql": "postgresql",
    "mysql": "mysql/mariadb",
    "sqlite": "sqlite",
}


def builtin_functions(dialect: Dialect) -> frozenset[str]:
    """The lower-case names of the built-in functions ``dialect`` may call."""
    return _BUILTINS[dialect]


def builtin_operators() -> frozenset[str]:
    """PostgreSQL operator symbols defined in ``pg_catalog``."""
    return PG_BUILTIN_OPERATORS


def typed_function_keys(dialect: Dialect) -> frozenset[str]:
    """sqlglot node keys that only the allowed names and syntax of ``dialect`` produce."""
    return _TYPED[dialect]


def extra_allows(name: str, schema: str | None, extra: Iterable[str]) -> bool:
    """Whether the policy's ``extra_functions`` lists ``name`` (bare, or as ``schema.name``)."""
    extras = set(extra)
    if name in extras:
        return True
    return schema is not None and f"{schema}.{name}" in extras


def function_denied_reason(display: str, name: str, dialect: Dialect) -> str:
    """One line saying why ``display`` (the call as written) is refused, and what to do."""
    why = _WHY.get(name)
    if why is not None:
        return f"function {display} is not allowed: {why}"
    return (
        f"function {display} is not allowed: it is not on the allow-list for "
        f"{_DIALECT_NAMES[dialect]}; ask an admin to add it to the database policy if it is safe"
    )
