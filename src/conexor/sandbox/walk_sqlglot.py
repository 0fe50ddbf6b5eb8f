"""The MySQL/MariaDB and SQLite rules: walk a sqlglot tree and say what is wrong with it.

sqlglot's grammar approximates the servers'; what it cannot be trusted to
see (MySQL executable comments and optimizer hints) is refused on the raw
text before parsing, in :mod:`conexor.sandbox.validate`. Here the tree is
walked once for statement nodes, ``INTO``, locking clauses, variable
assignments and function calls, then (only when a policy limits tables or
columns) scope by scope with sqlglot's own scope analysis, which resolves CTE
names the way SQL does.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from conexor.sandbox.dialects import Dialect
from conexor.sandbox.functions import (
    builtin_functions,
    extra_allows,
    function_denied_reason,
    typed_function_keys,
)
from conexor.sandbox.policy import Policy
from conexor.sandbox.relations import RelationRules
from conexor.sandbox.verdict import Verdict, deny
from conexor.schema import Snapshot

__all__ = ["rules_sqlglot"]

ONLY_SELECT: Final = "only a single read-only SELECT statement is allowed"

_READ_ROOTS: Final = (exp.Select, exp.SetOperation, exp.Values)

# Node types that change data or state. The walk refuses them anywhere.
_WRITES: Final = tuple(
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
            "Comment",
            "Describe",
            "Show",
            "Summarize",
        )
    )
    if isinstance(cls, type)
)

_LOCK_NAMES: Final = {True: "FOR UPDATE", False: "FOR SHARE / LOCK IN SHARE MODE"}


def statement_name(node: exp.Expr) -> str:
    """How a reason names a statement node (``INSERT``, ``PRAGMA``, ...)."""
    if isinstance(node, exp.Command):
        keyword = str(node.this).strip().split(" ")[0].upper()
        if keyword.isalpha() and len(keyword) <= 20:
            return keyword
        return "an unrecognised statement"
    key = node.key.upper()
    if key in ("ANONYMOUS", "ALIAS", "COLUMN", "IDENTIFIER", "LITERAL"):
        return "an unrecognised statement"
    return key


def rules_sqlglot(
    root: exp.Expr, dialect: Dialect, policy: Policy, snapshot: Snapshot | None
) -> Verdict | None:
    """The first rule ``root`` breaks, or None."""
    query = root
    while isinstance(query, exp.Subquery | exp.Paren):
        query = query.this
    if not isinstance(query, _READ_ROOTS):
        return deny("deny.not_read_only", f"{ONLY_SELECT}; got {statement_name(query)}")
    builtins = builtin_functions(dialect)
    typed = typed_function_keys(dialect)
    for node in root.walk():
        verdict = _node_rule(node, dialect, policy, builtins, typed)
        if verdict is not None:
            return verdict
    if policy.restricts_relations:
        return _policy_rules(root, RelationRules(dialect, policy, snapshot))
    return None


def _node_rule(
    node: exp.Expr,
    dialect: Dialect,
    policy: Policy,
    builtins: frozenset[str],
    typed: frozenset[str],
) -> Verdict | None:
    if isinstance(node, exp.Into):
        return deny(
            "deny.select_into",
            "SELECT ... INTO writes its result somewhere and is not allowed: remove INTO, the"
            " rows come back as the result",
        )
    if isinstance(node, exp.Lock):
        clause = _LOCK_NAMES[bool(node.args.get("update"))]
        return deny("deny.locking_clause", f"{clause} is not allowed: remove the locking clause")
    if isinstance(node, _WRITES):
        if node.find_ancestor(exp.CTE) is not None:
            return deny(
                "deny.data_modifying_cte",
                f"a WITH clause may not contain {statement_name(node)}: only read-only queries"
                " are allowed",
            )
        return deny("deny.not_read_only", f"{ONLY_SELECT}; got {statement_name(node)}")
    if (
        (isinstance(node, exp.Alias) and isinstance(node.parent, exp.Paren))
        or (isinstance(node, exp.Subquery) and node.alias and isinstance(node.this, exp.Table))
        or (isinstance(node, exp.CTE) and not isinstance(node.this, (*_READ_ROOTS, *_WRITES)))
    ):
        # sqlglot reads "(SHOW GRANTS)" as "(SHOW AS GRANTS)"; the server reads neither.
        # Where its grammar is more lenient than the server's, refuse.
        return deny(
            "deny.parse_error", "the query uses syntax the validator does not accept: simplify it"
        )
    if isinstance(node, exp.PropertyEQ):
        return deny(
            "deny.variable_assignment",
            "assigning a variable (:=) changes session state and is not allowed: use an alias"
            " (expr AS name) instead",
        )
    if isinstance(node, exp.Anonymous):
        return _anonymous_rule(node, dialect, policy, builtins)
    if isinstance(node, exp.Func) and node.key not in typed:
        names = [n.lower() for n in type(node).sql_names()] or [node.key]
        if any(extra_allows(n, None, policy.extra_functions) for n in names):
            return None
        return deny(
            "deny.function_not_allowed", function_denied_reason(names[0], names[0], dialect)
        )
    return None


def _anonymous_rule(
    node: exp.Anonymous, dialect: Dialect, policy: Policy, builtins: frozenset[str]
) -> Verdict | None:
    name = node.name.lower()
    schema: str | None = None
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        # db.fn(...): a stored function in a named database.
        schema = parent.this.sql(dialect=dialect).strip('`"').lower()
    display = f"{schema}.{name}" if schema else name
    if extra_allows(name, schema, policy.extra_functions):
        return None
    if schema is None and name in builtins:
        return None
    return deny("deny.function_not_allowed", function_denied_reason(display, name, dialect))


# --- policy: relations and columns, scope by scope -----------------------------


_Entry = tuple[str | None, frozenset[str] | None]


class _Resolver:
    """Resolves base tables once each, whichever scope asks first."""

    def __init__(self, rules: RelationRules) -> None:
        self.rules = rules
        self.cache: dict[int, _Entry | Verdict] = {}

    def __call__(self, source: object) -> _Entry | Verdict:
        if not isinstance(source, exp.Table) or not isinstance(source.this, exp.Identifier):
            # A CTE, a derived table or a table function (its calls were checked).
            return (None, None)
        cached = self.cache.get(id(source))
        if cached is None:
            result = self.rules.resolve(source.db or None, source.name)
            cached = result if isinstance(result, Verdict) else (result.key, result.columns)
            self.cache[id(source)] = cached
        return cached


def _policy_rules(root: exp.Expr, rules: RelationRules) -> Verdict | None:
    try:
        scopes = traverse_scope(root)
    except Exception:  # noqa: BLE001 - an analysis failure on hostile input must deny
        return deny(
            "deny.parse_error", "the query is too complex for the policy check: simplify it"
        )
    resolver = _Resolver(rules)
    for scope in scopes:
        verdict = _scope_rules(scope, rules, resolver)
        if verdict is not None:
            return verdict
    return None


def _scope_rules(scope: Scope, rules: RelationRules, resolver: _Resolver) -> Verdict | None:
    own: dict[str, _Entry] = {}
    for alias, source in scope.sources.items():
        resolved = resolver(source)
        if isinstance(resolved, Verdict):
            return resolved
        own[alias] = resolved
    visible = _visible(scope, own, resolver)
    select = scope.expression
    if isinstance(select, exp.Select):
        for projection in select.expressions:
            if isinstance(projection, exp.Star):
                for key, _ in own.values():
                    verdict = rules.star(key)
                    if verdict is not None:
                        return verdict
        for join in select.args.get("joins") or ():
            verdict = _join_rule(join, own, rules)
            if verdict is not None:
                return verdict
    # Every column node of this scope (not of its subqueries): Scope.columns
    # leaves out some (HAVING, QUALIFY) that it takes for projection aliases.
    for node in scope.walk():
        if not isinstance(node, exp.Column):
            continue
        if isinstance(node.this, exp.Star):
            for key, _ in visible.get(node.table, []) if node.table else []:
                verdict = rules.star(key)
                if verdict is not None:
                    return verdict
            continue
        verdict = _column_rule(node, visible, rules)
        if verdict is not None:
            return verdict
    return None


def _visible(scope: Scope, own: dict[str, _Entry], resolver: _Resolver) -> dict[str, list[_Entry]]:
    """Alias -> sources, innermost first, through every enclosing scope."""
    visible: dict[str, list[_Entry]] = {}
    for alias, entry in own.items():
        visible.setdefault(alias, []).append(entry)
    parent = scope.parent
    while parent is not None:
        for alias, source in parent.sources.items():
            outer = resolver(source)
            # A parent's own denial is reported when that scope is checked.
            visible.setdefault(alias, []).append(
                (None, None) if isinstance(outer, Verdict) else outer
            )
        parent = parent.parent
    return visible


def _join_rule(
    join: exp.Expr,
    own: dict[str, _Entry],
    rules: RelationRules,
) -> Verdict | None:
    if str(join.args.get("method") or "").upper() == "NATURAL" and any(
        rules.denied_in(key) for key, _ in own.values()
    ):
        return deny(
            "deny.column_denied",
            "NATURAL JOIN compares every same-named column, including ones the policy"
            " denies: join with ON and name the columns",
        )
    for name in join.args.get("using") or ():
        for key, _ in own.values():
            if key is not None:
                verdict = rules.column(key, name.name)
                if verdict is not None:
                    return verdict
    return None


def _column_rule(
    column: exp.Column,
    visible: dict[str, list[_Entry]],
    rules: RelationRules,
) -> Verdict | None:
    name = column.name
    if isinstance(column.this, exp.Star):
        return None
    if column.table:
        for key, _ in visible.get(column.table, []):
            if key is not None:
                verdict = rules.column(key, name)
                if verdict is not None:
                    return verdict
        return None
    # Unqualified: any base relation in reach that has a denied column of that name.
    for entries in visible.values():
        for key, _ in entries:
            if key is not None:
                verdict = rules.column(key, name)
                if verdict is not None:
                    return verdict
    return None
