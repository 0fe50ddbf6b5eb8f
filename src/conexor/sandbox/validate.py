"""May this SQL run? The first layers of the sandbox, pure and without I/O.

``check`` parses the text with a real parser for the dialect and walks the
whole tree, then applies the database's :class:`~conexor.sandbox.policy.Policy`
against its stored schema snapshot. It returns a :class:`Verdict` rather than
raising, because "no" is an expected answer; the last branch of every path
denies, so anything the rules did not recognise is refused.

PostgreSQL is parsed with pglast, which embeds the server's own grammar, so
the validator and the server read the same statement
(:mod:`conexor.sandbox.walk_pg` holds its rules). MySQL/MariaDB and SQLite
are parsed with sqlglot, whose grammar only approximates the server's; where
the two are known to disagree (MySQL's executable comments ``/*! */`` and
optimizer hints ``/*+ */``) the text is refused outright
(:mod:`conexor.sandbox.walk_sqlglot` holds the rules), and the read-only
transaction in :mod:`conexor.sandbox.execute` stays behind it as the next
layer.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

import pglast
import sqlglot
from pglast import ast as pg
from pglast.stream import RawStream
from sqlglot import exp

from conexor.sandbox.dialects import Dialect
from conexor.sandbox.policy import Policy
from conexor.sandbox.verdict import RULES, Verdict, deny
from conexor.sandbox.walk_pg import PgFacts, rules_postgres
from conexor.sandbox.walk_sqlglot import rules_sqlglot
from conexor.schema import Snapshot

__all__ = [
    "MAX_SQL_BYTES",
    "RULES",
    "ParsedQuery",
    "Verdict",
    "assess",
    "assess_again",
    "check",
    "parse",
]

MAX_SQL_BYTES: Final = 100 * 1024

_ONLY_SELECT = "only a single read-only SELECT statement is allowed"

# MySQL runs the body of /*! ... */ and MariaDB that of /*M! ... */, and MySQL
# obeys optimizer hints /*+ ... */ (SET_VAR, MAX_EXECUTION_TIME), while sqlglot
# reads all of them as plain comments. Any such opener is refused.
_EXECUTABLE_COMMENT = re.compile(r"/\*(M?!|\+)", re.IGNORECASE)

_DEFAULT_POLICY: Final = Policy()
# Recent decisions, for the executor's own check of a statement the tool just
# checked: (sql, dialect, id(policy), id(snapshot)) -> the objects and the answer.
_RECENT: OrderedDict[
    tuple[str, str, int, int], tuple[Policy, Snapshot | None, Verdict, PgFacts | None]
] = OrderedDict()
_RECENT_LOCK: Final = threading.Lock()
_RECENT_SIZE: Final = 256
_RECENT_MAX_SQL: Final = 16_384


@dataclass(frozen=True)
class ParsedQuery:
    """One parsed statement: the input the rules and the policy read."""

    dialect: Dialect
    tree: pg.Node | exp.Expr
    normalized: str


def check(
    sql: str,
    dialect: Dialect,
    policy: Policy | None = None,
    snapshot: Snapshot | None = None,
) -> Verdict:
    """Decide whether ``sql`` is one read-only query in ``dialect`` that ``policy`` allows.

    ``snapshot`` is the database's stored schema; the policy's table and
    column rules need it to resolve ``*`` and unqualified names, and deny
    when it is missing. Never raises: text the parser cannot handle,
    including input that makes the parser itself fail, is denied.
    """
    return assess(sql, dialect, policy, snapshot)[0]


def assess(
    sql: str,
    dialect: Dialect,
    policy: Policy | None = None,
    snapshot: Snapshot | None = None,
) -> tuple[Verdict, PgFacts | None]:
    """:func:`check`, plus what the PostgreSQL executor re-checks on the server.

    Always decides afresh, and remembers the answer for :func:`assess_again`.
    """
    policy = policy or _DEFAULT_POLICY
    found = _assess(sql, dialect, policy, snapshot)
    if len(sql) <= _RECENT_MAX_SQL:
        with _RECENT_LOCK:
            _RECENT[(sql, dialect, id(policy), id(snapshot))] = (policy, snapshot, *found)
            while len(_RECENT) > _RECENT_SIZE:
                _RECENT.popitem(last=False)
    return found


def assess_again(
    sql: str,
    dialect: Dialect,
    policy: Policy | None = None,
    snapshot: Snapshot | None = None,
) -> tuple[Verdict, PgFacts | None]:
    """:func:`assess` for a statement just assessed under the very same policy and schema.

    The executor checks every statement itself, usually moments after the
    tool did. The answer is a pure function of the text, the dialect and the
    two objects, so when this process has just decided it for these exact
    objects (identity, held by the memo so that no id is reused), that answer
    is returned; otherwise it is decided afresh.
    """
    policy = policy or _DEFAULT_POLICY
    with _RECENT_LOCK:
        hit = _RECENT.get((sql, dialect, id(policy), id(snapshot)))
    if hit is not None and hit[0] is policy and hit[1] is snapshot:
        return hit[2], hit[3]
    return assess(sql, dialect, policy, snapshot)


def _assess(
    sql: str, dialect: Dialect, policy: Policy, snapshot: Snapshot | None
) -> tuple[Verdict, PgFacts | None]:
    parsed = parse(sql, dialect)
    if isinstance(parsed, Verdict):
        return parsed, None
    facts: PgFacts | None = None
    try:
        if dialect == "postgresql":
            assert isinstance(parsed.tree, pg.Node)
            verdict, facts = rules_postgres(parsed.tree, policy, snapshot)
        else:
            assert isinstance(parsed.tree, exp.Expr)
            verdict = rules_sqlglot(parsed.tree, dialect, policy, snapshot)
    except RecursionError:
        verdict = deny("deny.parse_error", "the query nests too deeply to check: simplify it")
    if verdict is not None:
        return deny(verdict.rule, verdict.reason, parsed.normalized), facts
    return (
        Verdict(
            allowed=True,
            rule="allow.select",
            reason="a single read-only query",
            normalized=parsed.normalized,
        ),
        facts,
    )


def parse(sql: str, dialect: Dialect) -> ParsedQuery | Verdict:
    """Parse exactly one statement, or return the deny verdict explaining why not."""
    try:
        size = len(sql.encode("utf-8"))
    except UnicodeEncodeError:
        return deny("deny.parse_error", "the query is not valid UTF-8 text")
    if size > MAX_SQL_BYTES:
        return deny("deny.too_long", f"the query is longer than {MAX_SQL_BYTES} bytes")
    if "\x00" in sql:
        # C parsers stop at NUL; the validator must not read less than the server.
        return deny("deny.nul_character", "the query contains a NUL character")
    if not sql.strip():
        return deny("deny.empty", "the query is empty")
    if dialect == "postgresql":
        return _parse_postgres(sql)
    if dialect in ("mysql", "sqlite"):
        return _parse_sqlglot(sql, dialect)
    return deny("deny.parse_error", "unsupported SQL dialect")


# --- PostgreSQL (pglast) -----------------------------------------------------


def _parse_postgres(sql: str) -> ParsedQuery | Verdict:
    try:
        statements = pglast.parse_sql(sql)
    except pglast.parser.ParseError:
        return deny("deny.parse_error", "the query is not valid PostgreSQL syntax")
    except Exception:  # noqa: BLE001 - a parser crash on hostile input must deny, not raise
        return deny("deny.parse_error", "the query could not be parsed")
    if not statements:
        return deny("deny.empty", "the query is empty")
    if len(statements) > 1:
        return deny(
            "deny.multiple_statements",
            f"{_ONLY_SELECT}; got several statements: send one statement per call",
        )
    root = statements[0].stmt
    if root is None:
        return deny("deny.empty", "the query is empty")
    try:
        normalized = RawStream()(root)
    except Exception:  # noqa: BLE001 - same reason: fail closed
        return deny("deny.parse_error", "the query uses syntax the validator cannot render")
    return ParsedQuery(dialect="postgresql", tree=root, normalized=normalized)


# --- MySQL/MariaDB and SQLite (sqlglot) --------------------------------------

_DIALECT_NAMES: Final[dict[Dialect, str]] = {
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "sqlite": "SQLite",
}


def _parse_sqlglot(sql: str, dialect: Dialect) -> ParsedQuery | Verdict:
    if dialect == "mysql" and _EXECUTABLE_COMMENT.search(sql):
        return deny(
            "deny.executable_comment",
            "MySQL executable comments (/*! ... */) and optimizer hints (/*+ ... */) are not"
            " allowed: use plain comments (/* ... */)",
        )
    try:
        # A bare ";" (with or without comments) is no statement at all.
        trees = [
            tree
            for tree in sqlglot.parse(sql, read=dialect)
            if tree is not None and not isinstance(tree, exp.Semicolon)
        ]
    except sqlglot.errors.SqlglotError:
        return deny("deny.parse_error", f"the query is not valid {_DIALECT_NAMES[dialect]} syntax")
    except Exception:  # noqa: BLE001 - a parser crash on hostile input must deny, not raise
        return deny("deny.parse_error", "the query could not be parsed")
    if not trees:
        return deny("deny.empty", "the query is empty")
    if len(trees) > 1:
        return deny(
            "deny.multiple_statements",
            f"{_ONLY_SELECT}; got several statements: send one statement per call",
        )
    root = trees[0]
    try:
        # Unsupported constructs (e.g. FOR UPDATE in SQLite) are dropped from
        # the rendering without a log line; the rules still see them in the tree.
        normalized = root.sql(
            dialect=dialect, comments=False, unsupported_level=sqlglot.ErrorLevel.IGNORE
        )
    except Exception:  # noqa: BLE001 - same reason: fail closed
        return deny("deny.parse_error", "the query uses syntax the validator cannot render")
    return ParsedQuery(dialect=dialect, tree=root, normalized=normalized)
