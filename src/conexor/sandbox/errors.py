"""Errors raised by the sandbox.

Every message in ``public`` is safe to show a user: it names the rule, the
setting or the SQLSTATE class, never a URL, a password or a row value, and
never the text of a driver exception (driver text can echo a DSN)::

    ConexorError
     └── SandboxError                 sandbox_error
          ├── QueryRejected           query_rejected        (a rule denied the SQL)
          ├── QueryTimeout            query_timeout
          ├── QueryFailed             query_failed          (the server refused it)
          ├── DatabaseUnreachable     database_unreachable
          ├── DatabaseAuthFailed      database_auth_failed
          ├── UnsupportedDatabaseUrl  unsupported_database_url
          ├── InvalidLimits           invalid_limits
          └── InvalidPolicy           invalid_policy
"""

from __future__ import annotations

from conexor.errors import ConexorError
from conexor.sandbox.scrub import describe

__all__ = [
    "DatabaseAuthFailed",
    "DatabaseUnreachable",
    "InvalidLimits",
    "InvalidPolicy",
    "QueryFailed",
    "QueryRejected",
    "QueryTimeout",
    "SandboxError",
    "UnsupportedDatabaseUrl",
]


class SandboxError(ConexorError):
    """Root of the sandbox errors."""

    code = "sandbox_error"
    default_public = "the query could not be run"


class QueryRejected(SandboxError):
    """A validation rule denied the SQL before it reached the database."""

    code = "query_rejected"
    default_public = "the query was rejected"

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        self.reason = reason
        super().__init__(reason)


class QueryTimeout(SandboxError):
    """The query ran past its time limit and was cancelled by the server."""

    code = "query_timeout"

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        super().__init__(f"the query exceeded its {timeout_s:g} s time limit")


class QueryFailed(SandboxError):
    """The database refused the query; only the SQLSTATE class is kept."""

    code = "query_failed"

    def __init__(self, sqlstate: str | None) -> None:
        self.sqlstate = sqlstate
        if sqlstate is None:
            public = "the database rejected the query"
        else:
            public = f"the database rejected the query (SQLSTATE {sqlstate}: {describe(sqlstate)})"
        super().__init__(public)


class DatabaseUnreachable(SandboxError):
    """The network path to the database failed (refused, unknown host, timeout)."""

    code = "database_unreachable"
    default_public = "the database could not be reached"


class DatabaseAuthFailed(SandboxError):
    """The database refused the user name or password."""

    code = "database_auth_failed"
    default_public = "the database rejected the credentials"


class UnsupportedDatabaseUrl(SandboxError):
    """The URL is not one the sandbox can run; the URL itself is never echoed."""

    code = "unsupported_database_url"
    default_public = (
        "unsupported database URL scheme; use postgresql://, mysql://, mariadb:// or sqlite:///"
    )


class InvalidLimits(SandboxError):
    """A limit is out of its allowed range; the message names the setting only."""

    code = "invalid_limits"
    default_public = "a query limit is out of range"


class InvalidPolicy(SandboxError):
    """A database policy is malformed; the message names the field, never its value."""

    code = "invalid_policy"
    default_public = "the database policy is invalid"
