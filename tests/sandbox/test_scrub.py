"""Error codes, safe descriptions, redaction, limits and the error tree."""

from __future__ import annotations

import sqlite3
import string

import psycopg
import pymysql
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conexor.errors import ConexorError
from conexor.sandbox import (
    DatabaseAuthFailed,
    DatabaseUnreachable,
    InvalidLimits,
    Limits,
    QueryFailed,
    QueryRejected,
    QueryTimeout,
    SandboxError,
    UnsupportedDatabaseUrl,
    describe,
    redact,
    sqlstate_of,
)


def test_error_tree_and_codes() -> None:
    expected = {
        SandboxError: "sandbox_error",
        QueryRejected: "query_rejected",
        QueryTimeout: "query_timeout",
        QueryFailed: "query_failed",
        DatabaseUnreachable: "database_unreachable",
        DatabaseAuthFailed: "database_auth_failed",
        UnsupportedDatabaseUrl: "unsupported_database_url",
        InvalidLimits: "invalid_limits",
    }
    for cls, code in expected.items():
        assert issubclass(cls, SandboxError)
        assert issubclass(cls, ConexorError)
        assert cls.code == code


def test_public_messages() -> None:
    assert QueryRejected("deny.empty", "the query is empty").public == "the query is empty"
    assert QueryTimeout(30.0).public == "the query exceeded its 30 s time limit"
    assert QueryFailed("42P01").public == (
        "the database rejected the query (SQLSTATE 42P01: undefined table)"
    )
    assert QueryFailed(None).public == "the database rejected the query"
    assert DatabaseUnreachable().public == "the database could not be reached"
    assert DatabaseAuthFailed().public == "the database rejected the credentials"


def test_sqlstate_of_drivers() -> None:
    assert sqlstate_of(psycopg.errors.UndefinedTable()) == "42P01"
    assert sqlstate_of(pymysql.err.ProgrammingError(1146, "Table 'x' doesn't exist")) == "MY1146"
    assert sqlstate_of(pymysql.err.OperationalError("not a number")) is None
    with pytest.raises(sqlite3.Error) as caught:
        sqlite3.connect(":memory:").execute("SELECT * FROM nope")
    assert sqlstate_of(caught.value) == "SQLITE_ERROR"
    assert sqlstate_of(ValueError("x")) is None


@pytest.mark.parametrize(
    ("state", "text"),
    [
        ("42P01", "undefined table"),
        ("42Z99", "syntax error or access rule violation"),
        ("ZZ999", "database error"),
        ("MY1146", "table does not exist"),
        ("MY9999", "MySQL error"),
        ("SQLITE_READONLY", "attempt to write a read-only database"),
        ("SQLITE_WHATEVER", "SQLite error"),
        (None, "database error"),
        ("anything at all", "database error"),
    ],
)
def test_describe(state: str | None, text: str) -> None:
    assert describe(state) == text


def test_redact() -> None:
    text = (
        "failed: postgresql://app:s3cret@db.internal:5432/prod and "
        "host=db password='p w' user=app, token tok-123 again tok-123"
    )
    out = redact(text, ["tok-123", ""])
    assert "s3cret" not in out
    assert "db.internal" not in out
    assert "p w" not in out
    assert "tok-123" not in out
    assert "<redacted url>" in out


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"max_rows": 0}, "max_rows"),
        ({"max_rows": 10_001}, "max_rows"),
        ({"max_rows": True}, "max_rows"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": 301}, "timeout_s"),
        ({"timeout_s": float("nan")}, "timeout_s"),
        ({"max_bytes": 0}, "max_bytes"),
    ],
)
def test_invalid_limits_name_the_setting(kwargs: dict[str, object], setting: str) -> None:
    with pytest.raises(InvalidLimits) as caught:
        Limits(**kwargs)  # type: ignore[arg-type]
    assert caught.value.public.startswith(setting)


def test_default_limits() -> None:
    limits = Limits()
    assert (limits.max_rows, limits.timeout_s, limits.max_bytes) == (1000, 30.0, 5 * 1024 * 1024)
    assert Limits(max_rows=10_000, timeout_s=300).max_rows == 10_000


# Driver and library messages that repeat the URL they were given.
DRIVER_MESSAGES = [
    "(psycopg.OperationalError) could not connect to {url}\n"
    "(Background on this error at: https://sqlalche.me/e/20/e3q8)",
    "Could not parse SQLAlchemy URL from string '{url}'",
    '(pymysql.err.OperationalError) (1045, "Access denied for user") [url: {url}]',
    'connection to server failed: FATAL:  password authentication failed ("{url}")',
    'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad url <{url}>',
    "{url}",
]

_userinfo = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~%!$&()*+,;=:@", min_size=1, max_size=30
)


@given(
    template=st.sampled_from(DRIVER_MESSAGES),
    scheme=st.sampled_from(["postgresql", "postgresql+psycopg", "mysql+pymysql", "mariadb"]),
    user=_userinfo.filter(lambda u: ":" not in u and "@" not in u),
    password=_userinfo,
    host=st.sampled_from(["db", "10.1.2.3:5432", "[::1]:3306", "db.internal"]),
)
def test_credentialed_urls_in_driver_messages_are_redacted(
    template: str, scheme: str, user: str, password: str, host: str
) -> None:
    secret = f"pw{password}"
    url = f"{scheme}://{user}:{secret}@{host}/sales"
    out = redact(template.format(url=url), [])
    assert secret not in out
    assert "<redacted url>" in out
