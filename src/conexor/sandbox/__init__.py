"""The SELECT-only sandbox: validate, then run read-only under limits.

``check`` decides whether SQL may run under a database's :class:`Policy`
(pure); ``run_query`` validates again and executes it in a read-only
transaction with row, byte and time caps; ``role_report`` (and the older
``write_privileges``) tell whether the connected role could write at all, and
how to create one that cannot.
docs/sandbox.md describes the layers and their limits.
"""

from conexor.sandbox.connect import connection_error, create_database_engine, probe
from conexor.sandbox.dialects import Dialect, dialect_of_url, driver_url
from conexor.sandbox.errors import (
    DatabaseAuthFailed,
    DatabaseUnreachable,
    InvalidLimits,
    InvalidPolicy,
    QueryFailed,
    QueryRejected,
    QueryTimeout,
    SandboxError,
    UnsupportedDatabaseUrl,
)
from conexor.sandbox.execute import QueryResult, run_query
from conexor.sandbox.jsonsafe import JsonValue, json_safe, json_safe_row
from conexor.sandbox.limits import MAX_ROWS_LIMIT, Limits
from conexor.sandbox.policy import Policy
from conexor.sandbox.privileges import RoleReport, role_report, write_privileges
from conexor.sandbox.scrub import describe, redact, sqlstate_of
from conexor.sandbox.validate import MAX_SQL_BYTES, RULES, ParsedQuery, Verdict, check, parse

__all__ = [
    "MAX_ROWS_LIMIT",
    "MAX_SQL_BYTES",
    "RULES",
    "DatabaseAuthFailed",
    "DatabaseUnreachable",
    "Dialect",
    "InvalidLimits",
    "InvalidPolicy",
    "JsonValue",
    "Limits",
    "ParsedQuery",
    "Policy",
    "QueryFailed",
    "QueryRejected",
    "QueryResult",
    "QueryTimeout",
    "RoleReport",
    "SandboxError",
    "UnsupportedDatabaseUrl",
    "Verdict",
    "check",
    "connection_error",
    "create_database_engine",
    "describe",
    "dialect_of_url",
    "driver_url",
    "json_safe",
    "json_safe_row",
    "parse",
    "probe",
    "redact",
    "role_report",
    "run_query",
    "sqlstate_of",
    "write_privileges",
]
