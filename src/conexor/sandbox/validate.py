"""May this SQL run? The first layer of the sandbox, pure and without I/O.

``check`` parses the text with a real parser for the dialect and walks the
whole tree. It returns a :class:`Verdict` rather than raising, because "no" is
an expected answer; the last branch of every path denies, so anything the
rules did not recognise is refused.

PostgreSQL is parsed with pglast, which embeds the server's own grammar, so
the validator and the server read the same statement. MySQL/MariaDB and
SQLite are parsed with sqlglot, whose grammar only approximates the server's;
where the two are known to disagree (MySQL's executable comments ``/*! */``)
the text is refused outright, and the read-only transaction in
:mod:`conexor.sandbox.execute` stays behind it as the next layer.

The parse step (:func:`parse`) is kept separate from the rules so that a
policy layer (allowed schemas, tables, functions) can reuse the parsed tree
instead of parsing a second time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import pglast
import sqlglot
from pglast import ast as pg
from pglast.stream import RawStream
from sqlglot import exp

from conexor.sandbox.dialects import Dialect

__all__ = [
    "MAX_SQL_BYTES",
    "RULES",
    "ParsedQuery",
    "Verdict",
    "check",
    "parse",
]

MAX_SQL_BYTES: Final = 100 * 1024

# Stable rule ids; docs/sandbox.md lists them and the audit trail records them.
RULES: Final = (
    "allow.select",
    "deny.too_long",
    "deny.nul_character",
    "deny.empty",
    "deny.parse_error",
    "deny.executable_comment",
    "deny.multiple_statements",
    "deny.not_read_only",
    "deny.data_modifying_cte",
    "deny.select_into",
    "deny.locking_clause",
    "deny.explain_analyze",
)

_ONLY_SELECT = "only a single read-only SELECT statement is allowed"

# MySQL runs the body of /*! ... */ and MariaDB that of /*M! ... */, while
# sqlglot reads both as plain comments. Any such opener is refused.
_EXECUTABLE_COMMENT = re.compile(r"/\*M?!", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """The answer to "may this SQL run?".

    ``rule`` is a stable id from :data:`RULES`; ``reason`` is one line that is
    safe to show; ``normalized`` is the canonical rendering of the statement
    (keywords and whitespace normalised, comments dropped) that the audit
    trail hashes. It is empty when the SQL did not parse.
    """

    allowed: bool
    rule: str
    reason: str
    normalized: str


@dataclass(frozen=True)
class ParsedQuery:
    """One parsed statement: the input a rule or a future policy layer reads."""

    dialect: Dialect
    tree: pg.Node | exp.Expr
    normalized: str


def _deny(rule: str, reason: str, normalized: str = "") -> Verdict:
    return Verdict(allowed=False, rule=rule, reason=reason, normalized=normalized)


def check(sql: str, dialect: Dialect) -> Verdict:
    """Decide whether ``sql`` is one read-only query in ``dialect``.

    Never raises: text the parser cannot handle, including input that makes
    the parser itself fail, is denied.
    """
    parsed = parse(sql, dialect)
    if isinstance(parsed, Verdict):
        return parsed
    if dialect == "postgresql":
        assert isinstance(parsed.tree, pg.Node)
        verdict = _rules_postgres(parsed.tree)
    else:
        assert isinstance(parsed.tree, exp.Expr)
        verdict = _rules_sqlglot(parsed.tree)
    if verdict is not None:
        return _deny(verdict.rule, verdict.reason, parsed.normalized)
    return Verdict(
        allowed=True,
        rule="allow.select",
        reason="a single read-only query",
        normalized=parsed.normalized,
    )


def parse(sql: str, dialect: Dialect) -> ParsedQuery | Verdict:
    """Parse exactly one statement, or return the deny verdict explaining why not."""
    try:
        size = len(sql.encode("utf-8"))
    except UnicodeEncodeError:
        return _deny("deny.parse_error", "the query is not valid UTF-8 text")
    if size > MAX_SQL_BYTES:
        return _deny("deny.too_long", f"the query is longer than {MAX_SQL_BYTES} bytes")
    if "\x00" in sql:
        # C parsers stop at NUL; the validator must not read less than the server.
        return _deny("deny.nul_character", "the query contains a NUL character")
    if not sql.strip():
        return _deny("deny.empty", "the query is empty")
    if dialect == "postgresql":
        return _parse_postgres(sql)
    if dialect in ("mysql", "sqlite"):
        return _parse_sqlglot(sql, dialect)
    return _deny("deny.parse_error", "unsupported SQL dialect")


# --- PostgreSQL (pglast) -----------------------------------------------------

_PG_STATEMENT_NAMES: Final = {
    "InsertStmt": "INSERT",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
    "CopyStmt": "COPY",
    "CreateStmt": "CREATE TABLE",
    "CreateTableAsStmt": "CREATE TABLE AS",
    "DropStmt": "DROP",
    "TruncateStmt": "TRUNCATE",
    "AlterTableStmt": "ALTER TABLE",
    "DoStmt": "DO",
    "CallStmt": "CALL",
    "VariableSetStmt": "SET",
    "VariableShowStmt": "SHOW",
    "TransactionStmt": "a transaction command",
    "GrantStmt": "GRANT",
    "LockStmt": "LOCK",
    "PrepareStmt": "PREPARE",
    "ExecuteStmt": "EXECUTE",
    "DeclareCursorStmt": "DECLARE",
    "NotifyStmt": "NOTIFY",
    "ListenStmt": "LISTEN",
    "VacuumStmt": "VACUUM",
}

_PG_DML: Final = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})


def _pg_name(node: pg.Node) -> str:
    name = type(node).__name__
    return _PG_STATEMENT_NAMES.get(name, f"{name.removesuffix('Stmt')} statement")


def _parse_postgres(sql: str) -> ParsedQuery | Verdict:
    try:
        statements = pglast.parse_sql(sql)
    except pglast.parser.ParseError:
        return _deny("deny.parse_error", "the query is not valid PostgreSQL syntax")
    except Exception:  # noqa: BLE001 - a parser crash on hostile input must deny, not raise
        return _deny("deny.parse_error", "the query could not be parsed")
    if not statements:
        return _deny("deny.empty", "the query is empty")
    if len(statements) > 1:
        return _deny("deny.multiple_statements", f"{_ONLY_SELECT}; got several statements")
    root = statements[0].stmt
    if root is None:
        return _deny("deny.empty", "the query is empty")
    try:
        normalized = RawStream()(root)
    except Exception:  # noqa: BLE001 - same reason: fail closed
        return _deny("deny.parse_error", "the query uses syntax the validator cannot render")
    return ParsedQuery(dialect="postgresql", tree=root, normalized=normalized)


def _pg_walk(root: pg.Node) -> Iterator[pg.Node]:
    """Every node under ``root``, iteratively (hostile SQL can nest deeply)."""
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, pg.Node):
            yield item
            for slot in getattr(type(item), "__slots__", ()):
                stack.append(getattr(item, slot, None))
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _rules_postgres(root: pg.Node) -> Verdict | None:
    query: pg.Node | None = root
    if isinstance(root, pg.ExplainStmt):
        for option in root.options or ():
            if isinstance(option, pg.DefElem) and option.defname == "analyze":
                # EXPLAIN ANALYZE executes its statement; even "analyze false"
                # is refused rather than interpreted.
                return _deny("deny.explain_analyze", "EXPLAIN ANALYZE runs the query; use EXPLAIN")
        query = root.query
    if not isinstance(query, pg.SelectStmt):
        if query is None:
            return _deny("deny.empty", "the query is empty")
        return _deny("deny.not_read_only", f"{_ONLY_SELECT}; got {_pg_name(query)}")
    for node in _pg_walk(query):
        name = type(node).__name__
        if name in _PG_DML:
            return _deny(
                "deny.data_modifying_cte",
                f"a WITH clause may not contain {_pg_name(node)}; only read-only queries",
            )
        if isinstance(node, pg.IntoClause):
            return _deny("deny.select_into", "SELECT ... INTO creates a table; it is not allowed")
        if isinstance(node, pg.LockingClause):
            return _deny("deny.locking_clause", "FOR UPDATE/SHARE takes locks; it is not allowed")
        if name.endswith("Stmt") and not isinstance(node, pg.SelectStmt):
            return _deny("deny.not_read_only", f"{_ONLY_SELECT}; got {_pg_name(node)}")
    return None


# --- MySQL/MariaDB and SQLite (sqlglot) --------------------------------------

_SG_READ_ROOTS: Final = (exp.Select, exp.SetOperation, exp.Values)

# Node types that change data or state. The walk refuses them anywhere.
_SG_WRITES: Final = tuple(
    cls
    for cls in (
        getattr(exp, name, None)
        for name in (
            "DML",
            "DDL",
            "Command",
            "Create",
            "Drop",
            "Alter",
            "TruncateTable",
            "Insert",
            "Update",
            "Delete",
            "Merge",
            "Copy",
            "LoadData",
            "Pragma",
            "Set",
            "Use",
            "Transaction",
            "Commit",
            "Rollback",
            "Grant",
            "Revoke",
            "Analyze",
            "Attach",
            "Detach",
            "Kill",
            "Cache",
            "Uncache",
            "Refresh",
            "Declare",
            "Execute",
            "Export",
            "Replace",
            "Comment",
            "Describe",
            "Show",
            "Summarize",
        )
    )
    if isinstance(cls, type)
)


def _sg_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        keyword = str(node.this).strip().split(" ")[0].upper()
        if keyword.isalpha() and len(keyword) <= 20:
            return keyword
        return "an unrecognised statement"
    key = node.key.upper()
    if key in ("ANONYMOUS", "ALIAS", "COLUMN", "IDENTIFIER", "LITERAL"):
        return "an unrecognised statement"
    return key


def _parse_sqlglot(sql: str, dialect: Dialect) -> ParsedQuery | Verdict:
    if dialect == "mysql" and _EXECUTABLE_COMMENT.search(sql):
        return _deny(
            "deny.executable_comment",
            "MySQL executable comments (/*! ... */) are not allowed",
        )
    try:
        # A bare ";" (with or without comments) is no statement at all.
        trees = [
            tree
            for tree in sqlglot.parse(sql, read=dialect)
            if tree is not None and not isinstance(tree, exp.Semicolon)
        ]
    except sqlglot.errors.SqlglotError:
        return _deny("deny.parse_error", f"the query is not valid {_DIALECT_NAMES[dialect]} syntax")
    except Exception:  # noqa: BLE001 - a parser crash on hostile input must deny, not raise
        return _deny("deny.parse_error", "the query could not be parsed")
    if not trees:
        return _deny("deny.empty", "the query is empty")
    if len(trees) > 1:
        return _deny("deny.multiple_statements", f"{_ONLY_SELECT}; got several statements")
    root = trees[0]
    try:
        # Unsupported constructs (e.g. FOR UPDATE in SQLite) are dropped from
        # the rendering without a log line; the rules still see them in the tree.
        normalized = root.sql(
            dialect=dialect, comments=False, unsupported_level=sqlglot.ErrorLevel.IGNORE
        )
    except Exception:  # noqa: BLE001 - same reason: fail closed
        return _deny("deny.parse_error", "the query uses syntax the validator cannot render")
    return ParsedQuery(dialect=dialect, tree=root, normalized=normalized)


_DIALECT_NAMES: Final[dict[Dialect, str]] = {
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "sqlite": "SQLite",
}


def _rules_sqlglot(root: exp.Expr) -> Verdict | None:
    query = root
    while isinstance(query, exp.Subquery | exp.Paren):
        query = query.this
    if not isinstance(query, _SG_READ_ROOTS):
        return _deny("deny.not_read_only", f"{_ONLY_SELECT}; got {_sg_name(query)}")
    for node in root.walk():
        if isinstance(node, exp.Into):
            return _deny("deny.select_into", "SELECT ... INTO writes its result; it is not allowed")
        if isinstance(node, exp.Lock):
            return _deny("deny.locking_clause", "FOR UPDATE/SHARE takes locks; it is not allowed")
        if isinstance(node, _SG_WRITES):
            if node.find_ancestor(exp.CTE) is not None:
                return _deny(
                    "deny.data_modifying_cte",
                    f"a WITH clause may not contain {_sg_name(node)}; only read-only queries",
                )
            return _deny("deny.not_read_only", f"{_ONLY_SELECT}; got {_sg_name(node)}")
    return None
