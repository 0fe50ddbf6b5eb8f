"""The PostgreSQL rules: walk a pglast tree and say what, if anything, is wrong with it.

Two passes over the tree the server's own grammar produced:

1. :func:`rules_postgres` visits every node once: statement nodes other than
   SELECT, data-modifying CTEs, ``INTO``, locking clauses, and every function
   call, operator and table-sample method, wherever it sits (select list,
   FROM, WHERE, LATERAL, ORDER BY, window and aggregate arguments, defaults).
2. :class:`_Binder` (only when a policy limits schemas, tables or columns, or
   a schema snapshot is given) resolves relations and column references scope
   by scope, the way the server does: CTE names are visible only where SQL
   says they are, so a CTE can never hide a real table from the policy.

The walk is iterative or bounded by the parser's own nesting limit, and
returns the first problem found.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from pglast import ast as pg
from pglast.enums.lockoptions import LockClauseStrength
from pglast.enums.parsenodes import A_Expr_Kind, SetOperation

from conexor.sandbox.dialects import Dialect
from conexor.sandbox.functions import (
    builtin_functions,
    builtin_operators,
    extra_allows,
    function_denied_reason,
)
from conexor.sandbox.policy import Policy
from conexor.sandbox.relations import RelationRules
from conexor.sandbox.verdict import Verdict, deny
from conexor.schema import Snapshot

__all__ = ["PgFacts", "rules_postgres"]

ONLY_SELECT: Final = "only a single read-only SELECT statement is allowed"
_DIALECT: Final[Dialect] = "postgresql"

_STATEMENT_NAMES: Final = {
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

_DML: Final = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})

_LOCKS: Final = {
    LockClauseStrength.LCS_FORUPDATE: "FOR UPDATE",
    LockClauseStrength.LCS_FORNOKEYUPDATE: "FOR NO KEY UPDATE",
    LockClauseStrength.LCS_FORSHARE: "FOR SHARE",
    LockClauseStrength.LCS_FORKEYSHARE: "FOR KEY SHARE",
}

_OPERATOR_KINDS: Final = frozenset(
    {A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL}
)

# TABLESAMPLE methods shipped with the server (both are pg_catalog functions).
_SAMPLE_METHODS: Final = frozenset({"bernoulli", "system"})


@dataclass
class PgFacts:
    """What the execution layer re-checks on the server before running the query.

    ``calls``: allow-listed built-ins called without a schema, which a
    same-named function elsewhere on the search path could shadow.
    ``types``: type names used in casts and column definitions (a domain's
    CHECK constraint can call any function).
    """

    calls: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)


def statement_name(node: pg.Node) -> str:
    """How a reason names a statement node (``INSERT``, ``CREATE TABLE``, ...)."""
    name = type(node).__name__
    return _STATEMENT_NAMES.get(name, f"{name.removesuffix('Stmt')} statement")


def walk(root: pg.Node) -> Iterator[pg.Node]:
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


def _names(items: Sequence[object] | None) -> list[str]:
    return [item.sval or "" for item in items or () if isinstance(item, pg.String)]


def rules_postgres(
    root: pg.Node, policy: Policy, snapshot: Snapshot | None
) -> tuple[Verdict | None, PgFacts]:
    """The first rule ``root`` breaks (or None), and the facts to re-check at execution."""
    facts = PgFacts()
    query: pg.Node | None = root
    if isinstance(root, pg.ExplainStmt):
        for option in root.options or ():
            if isinstance(option, pg.DefElem) and option.defname == "analyze":
                # EXPLAIN ANALYZE executes its statement; even "analyze false"
                # is refused rather than interpreted.
                return deny(
                    "deny.explain_analyze", "EXPLAIN ANALYZE runs the query; use EXPLAIN"
                ), facts
        query = root.query
    if not isinstance(query, pg.SelectStmt):
        if query is None:
            return deny("deny.empty", "the query is empty"), facts
        return deny("deny.not_read_only", f"{ONLY_SELECT}; got {statement_name(query)}"), facts
    builtins = builtin_functions(_DIALECT)
    for node in walk(query):
        verdict = _node_rule(node, policy, builtins, facts)
        if verdict is not None:
            return verdict, facts
    if policy.restricts_relations or snapshot is not None:
        rules = RelationRules(_DIALECT, policy, snapshot)
        verdict = _Binder(rules, builtins).select(query, frozenset(), ())
        if verdict is not None:
            return verdict, facts
    return None, facts


def _node_rule(
    node: pg.Node, policy: Policy, builtins: frozenset[str], facts: PgFacts
) -> Verdict | None:
    name = type(node).__name__
    if name in _DML:
        return deny(
            "deny.data_modifying_cte",
            f"a WITH clause may not contain {statement_name(node)}: only read-only queries"
            " are allowed",
        )
    if isinstance(node, pg.IntoClause):
        return deny(
            "deny.select_into",
            "SELECT ... INTO creates a table and is not allowed: remove INTO, the rows come"
            " back as the result",
        )
    if isinstance(node, pg.LockingClause):
        clause = _LOCKS.get(node.strength, "FOR UPDATE/SHARE") if node.strength else "FOR UPDATE"
        return deny("deny.locking_clause", f"{clause} is not allowed: remove the locking clause")
    if name.endswith("Stmt") and not isinstance(node, pg.SelectStmt):
        return deny("deny.not_read_only", f"{ONLY_SELECT}; got {statement_name(node)}")
    if isinstance(node, pg.FuncCall):
        return _function_rule(_names(node.funcname), policy, builtins, facts)
    if isinstance(node, pg.A_Expr) and node.kind in _OPERATOR_KINDS:
        return _operator_rule(_names(node.name))
    if isinstance(node, pg.TypeName):
        names = _names(node.names)
        if names:
            facts.types.add(names[-1])
        return None
    if isinstance(node, pg.RangeTableSample):
        method = _names(node.method)
        if len(method) != 1 or method[0] not in _SAMPLE_METHODS:
            return deny(
                "deny.function_not_allowed",
                f"TABLESAMPLE method {'.'.join(method)} is not allowed: use BERNOULLI or SYSTEM",
            )
    return None


def _function_rule(
    names: list[str], policy: Policy, builtins: frozenset[str], facts: PgFacts
) -> Verdict | None:
    display = ".".join(names) or "(unnamed)"
    if len(names) == 1:
        schema, fn = None, names[0]
    elif len(names) == 2:
        schema, fn = names
    else:
        return deny("deny.function_not_allowed", function_denied_reason(display, "", _DIALECT))
    if extra_allows(fn, schema, policy.extra_functions):
        return None
    if schema in (None, "pg_catalog") and fn in builtins:
        if schema is None:
            facts.calls.add(fn)
        return None
    return deny("deny.function_not_allowed", function_denied_reason(display, fn, _DIALECT))


def _operator_rule(names: list[str]) -> Verdict | None:
    if not names:
        return None
    symbol = names[-1]
    schema = names[0] if len(names) == 2 else None
    if len(names) > 2 or schema not in (None, "pg_catalog") or symbol not in builtin_operators():
        display = ".".join(names)
        return deny(
            "deny.operator_not_allowed",
            f"operator {display} is not allowed: only built-in operators from pg_catalog",
        )
    return None


# --- relations, columns and scopes ------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """One FROM item as the query can name it."""

    alias: str
    # Policy keys of the base relations behind the name: one for a table, all
    # of them for a join alias, none for a CTE, a subquery or a function.
    keys: tuple[str, ...]
    columns: frozenset[str] | None  # known columns of a single base relation


_Scopes = tuple[tuple[_Source, ...], ...]


class _Binder:
    """Resolves relations and column references scope by scope."""

    def __init__(self, rules: RelationRules, builtins: frozenset[str]) -> None:
        self.rules = rules
        self.builtins = builtins

    def select(self, node: pg.SelectStmt, ctes: frozenset[str], outer: _Scopes) -> Verdict | None:
        if node.withClause is not None:
            verdict, ctes = self._with(node.withClause, ctes, outer)
            if verdict is not None:
                return verdict
        if node.op != SetOperation.SETOP_NONE:
            for branch in (node.larg, node.rarg):
                if isinstance(branch, pg.SelectStmt):
                    verdict = self.select(branch, ctes, outer)
                    if verdict is not None:
                        return verdict
            return self.expressions(node.sortClause, ctes, outer)
        sources: list[_Source] = []
        for item in node.fromClause or ():
            verdict = self._from_item(item, ctes, outer, sources)
            if verdict is not None:
                return verdict
        scopes: _Scopes = (tuple(sources), *outer)
        for part in (
            node.targetList,
            node.whereClause,
            node.groupClause,
            node.havingClause,
            node.windowClause,
            node.sortClause,
            node.distinctClause,
            node.valuesLists,
            node.limitCount,
            node.limitOffset,
        ):
            verdict = self.expressions(part, ctes, scopes)
            if verdict is not None:
                return verdict
        return None

    def _with(
        self, clause: pg.WithClause, ctes: frozenset[str], outer: _Scopes
    ) -> tuple[Verdict | None, frozenset[str]]:
        defined = [c for c in clause.ctes or () if isinstance(c, pg.CommonTableExpr)]
        names = [c.ctename or "" for c in defined]
        for index, cte in enumerate(defined):
            # A CTE sees the ones before it; a recursive WITH, all of them.
            visible = ctes | frozenset(names if clause.recursive else names[:index])
            if isinstance(cte.ctequery, pg.SelectStmt):
                verdict = self.select(cte.ctequery, visible, outer)
                if verdict is not None:
                    return verdict, ctes
        return None, ctes | frozenset(names)

    def _from_item(
        self, item: object, ctes: frozenset[str], outer: _Scopes, sources: list[_Source]
    ) -> Verdict | None:
        # FROM items may see earlier ones (LATERAL, function arguments); giving
        # them the whole scope so far can only make the column rule stricter.
        scopes: _Scopes = (tuple(sources), *outer)
        if isinstance(item, pg.RangeVar):
            return self._relation(item, ctes, sources)
        if isinstance(item, pg.RangeTableSample):
            verdict = self._from_item(item.relation, ctes, outer, sources)
            return verdict or self.expressions(item.args, ctes, scopes)
        if isinstance(item, pg.JoinExpr):
            before = len(sources)
            for side in (item.larg, item.rarg):
                verdict = self._from_item(side, ctes, outer, sources)
                if verdict is not None:
                    return verdict
            joined = tuple(sources[before:])
            keys = tuple(k for s in joined for k in s.keys)
            if item.isNatural and any(self.rules.denied_in(k) for k in keys):
                return deny(
                    "deny.column_denied",
                    "NATURAL JOIN compares every same-named column, including ones the policy"
                    " denies: join with ON and name the columns",
                )
            scopes = (tuple(sources), *outer)
            for name in _names(item.usingClause):
                verdict = self._column((name,), scopes)
                if verdict is not None:
                    return verdict
            verdict = self.expressions(item.quals, ctes, scopes)
            if verdict is None and isinstance(item.alias, pg.Alias):
                # (a JOIN b) AS j: j names every column of both sides.
                verdict = self._renamed(item.alias, keys)
                sources.append(_Source(item.alias.aliasname or "", keys, None))
            return verdict
        if isinstance(item, pg.RangeSubselect):
            if isinstance(item.subquery, pg.SelectStmt):
                verdict = self.select(item.subquery, ctes, scopes)
                if verdict is not None:
                    return verdict
            sources.append(_Source(_alias(item.alias) or "", (), None))
            return None
        # Functions in FROM, XMLTABLE and anything else: check what they contain.
        verdict = self.expressions(item, ctes, scopes)
        alias = _alias(getattr(item, "alias", None))
        if alias:
            sources.append(_Source(alias, (), None))
        return verdict

    def _relation(
        self, rv: pg.RangeVar, ctes: frozenset[str], sources: list[_Source]
    ) -> Verdict | None:
        relname = rv.relname or ""
        alias = _alias(rv.alias) or relname
        if rv.schemaname is None and rv.catalogname is None and relname in ctes:
            sources.append(_Source(alias, (), None))
            return None
        if rv.catalogname is not None:
            return deny(
                "deny.table_not_allowed",
                f"{rv.catalogname}.{rv.schemaname}.{relname} names another database:"
                " use schema.table",
            )
        resolved = self.rules.resolve(rv.schemaname, relname)
        if isinstance(resolved, Verdict):
            return resolved
        sources.append(_Source(alias, (resolved.key,), resolved.columns))
        return self._renamed(rv.alias, (resolved.key,))

    def _renamed(self, alias: object, keys: tuple[str, ...]) -> Verdict | None:
        """``AS t(a, b, ...)`` renames columns, so denied ones could hide behind new names."""
        if isinstance(alias, pg.Alias) and alias.colnames:
            for key in keys:
                if self.rules.denied_in(key):
                    return deny(
                        "deny.column_denied",
                        f"renaming the columns of {key} could hide a column the policy denies:"
                        " select the columns you need by name instead",
                    )
        return None

    def _star(self, keys: tuple[str, ...], *, whole_row: bool = False) -> Verdict | None:
        for key in keys:
            verdict = self.rules.star(key, whole_row=whole_row)
            if verdict is not None:
                return verdict
        return None

    def expressions(self, part: object, ctes: frozenset[str], scopes: _Scopes) -> Verdict | None:
        """Check every column reference and subquery in ``part`` against ``scopes``."""
        stack: list[object] = [part]
        while stack:
            item = stack.pop()
            if isinstance(item, list | tuple):
                stack.extend(item)
                continue
            if not isinstance(item, pg.Node):
                continue
            if isinstance(item, pg.SelectStmt):
                verdict = self.select(item, ctes, scopes)
                if verdict is not None:
                    return verdict
                continue
            if isinstance(item, pg.ColumnRef):
                verdict = self._column(tuple(item.fields or ()), scopes)
                if verdict is not None:
                    return verdict
                continue
            for slot in getattr(type(item), "__slots__", ()):
                stack.append(getattr(item, slot, None))
        return None

    def _column(self, fields: tuple[object, ...], scopes: _Scopes) -> Verdict | None:
        star = bool(fields) and isinstance(fields[-1], pg.A_Star)
        names = [(f.sval or "") if isinstance(f, pg.String) else "" for f in fields]
        if star and len(fields) == 1:
            # SELECT *: every base relation of the innermost scope.
            for each in scopes[0] if scopes else ():
                verdict = self._star(each.keys)
                if verdict is not None:
                    return verdict
            return None
        if star:
            named = _lookup(scopes, names[:-1])
            return None if named is None else self._star(named.keys)
        if len(names) == 1:
            return self._bare(names[0], scopes)
        source: _Source | None = _lookup(scopes, names[:-1])
        if source is None and len(names) >= 3:
            # table.column.field: a field of a composite column.
            source = _lookup(scopes, names[:1])
            column = names[1]
        else:
            column = names[-1]
        if source is None or not source.keys:
            return None
        for key in source.keys:
            verdict = self.rules.column(key, column)
            if verdict is not None:
                return verdict
        # t.f where t has no column f is f(t): attribute notation calls a function
        # with the whole row.
        if (
            source.columns is not None
            and column not in source.columns
            and (
                column not in self.builtins or any(self.rules.denied_in(key) for key in source.keys)
            )
        ):
            return deny(
                "deny.function_not_allowed",
                f"{'.'.join(names)} is not a column of {source.alias} in the stored schema;"
                f" as attribute notation it would call function {column}: name a column,"
                " or refresh the schema if the column is new",
            )
        return None

    def _bare(self, name: str, scopes: _Scopes) -> Verdict | None:
        known_column = False
        for scope in scopes:
            for source in scope:
                for key in source.keys:
                    verdict = self.rules.column(key, name)
                    if verdict is not None:
                        return verdict
                if source.columns is not None and name in source.columns:
                    known_column = True
        if known_column:
            return None
        # A bare table alias is the whole row (every column, denied ones too).
        found = _lookup(scopes, [name])
        return None if found is None else self._star(found.keys, whole_row=True)


def _alias(alias: object) -> str | None:
    return alias.aliasname if isinstance(alias, pg.Alias) else None


def _lookup(scopes: _Scopes, qualifier: list[str]) -> _Source | None:
    """The FROM item ``qualifier`` (``alias`` or ``schema.table``) names, innermost first."""
    if not qualifier:
        return None
    for scope in scopes:
        for source in scope:
            if len(qualifier) == 1 and source.alias == qualifier[0]:
                return source
            if len(qualifier) == 2 and source.keys and source.alias == qualifier[1]:
                return source
    return None
