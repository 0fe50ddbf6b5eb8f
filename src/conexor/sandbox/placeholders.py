"""Positional placeholders for bound parameters, found with the dialect's own tokenizer.

A statement with bound parameters holds ``$1``, ``$2`` … (PostgreSQL) or
``?`` (MySQL/MariaDB, SQLite) where a value goes; the values travel beside
it. Only PyMySQL needs the text rewritten: it takes ``%s`` and expands the
escaped values into the text itself (MySQL's text protocol has no binding),
so every other ``%`` must be doubled. The tokenizer is the validator's
(sqlglot), so the rewrite sees placeholders exactly where the sandbox did; a
``?`` inside a string, identifier or comment is not a placeholder.
"""

from __future__ import annotations

from sqlglot.dialects import MySQL
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import TokenType

from conexor.sandbox.errors import QueryRejected

__all__ = ["pyformat"]


def pyformat(sql: str, count: int) -> str:
    """``sql`` with each ``?`` placeholder as ``%s`` and every other ``%`` doubled.

    Raises :class:`QueryRejected` (``deny.parameter_mismatch``) when the
    statement does not hold exactly ``count`` placeholders.
    """
    try:
        tokens = MySQL().tokenize(sql)
    except SqlglotError:
        raise QueryRejected("deny.parse_error", "the query is not valid MySQL syntax") from None
    spots = [t.start for t in tokens if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]
    if len(spots) != count:
        raise QueryRejected(
            "deny.parameter_mismatch",
            f"the statement has {len(spots)} placeholders but {count} values were given",
        )
    out: list[str] = []
    last = 0
    for spot in spots:
        out.append(sql[last:spot].replace("%", "%%"))
        out.append("%s")
        last = spot + 1
    out.append(sql[last:].replace("%", "%%"))
    return "".join(out)
