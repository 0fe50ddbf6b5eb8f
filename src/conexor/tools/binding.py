"""Named parameters in a tool's SQL: find ``:name`` markers and turn them into bound placeholders.

Tool authors write ``:country``; the database gets ``$1`` (PostgreSQL) or
``?`` (MySQL/MariaDB, SQLite) and the value travels separately, bound by the
driver. Values are never spliced into the text. An array parameter becomes
one placeholder per element, so ``IN (:ids)`` with three ids runs as
``IN ($1, $2, $3)``: the statement that runs, and whose hash the audit
trail records, is the expanded one.

Markers are found with the dialect's own tokenizer (pglast's scanner for
PostgreSQL, sqlglot's for the others), so ``':x'`` in a string, ``"a:b"`` in
an identifier, ``-- :x`` in a comment and PostgreSQL's ``::`` casts are not
markers. Native placeholders (``$1``, ``?``) in a template are refused: a
value bound to them would have no name, type or check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, cast

from pglast.parser import ParseError, scan
from sqlglot.dialects import MySQL, SQLite
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import TokenType

from conexor.sandbox import Dialect, JsonValue
from conexor.tools.errors import InvalidToolDefinition

__all__ = ["BoundQuery", "Marker", "bind", "find_markers", "positional_to_named"]

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Marker:
    """``:name`` at characters ``start`` (the colon) to ``end`` (exclusive) of the template."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class BoundQuery:
    """A statement with positional placeholders and the values to bind to them, in order."""

    sql: str
    params: tuple[JsonValue, ...]


def find_markers(sql: str, dialect: Dialect) -> list[Marker]:
    """Every ``:name`` marker of ``sql``, in order; native placeholders are refused."""
    if dialect == "postgresql":
        return _pg_markers(sql)
    return _sqlglot_markers(sql, dialect)


def bind(
    sql: str, dialect: Dialect, values: Mapping[str, JsonValue | Sequence[JsonValue]]
) -> BoundQuery:
    """``sql`` with each marker replaced by placeholders, and the values in placeholder order.

    ``values`` holds a checked value for every marker's name (a list for an
    array parameter, which expands to one placeholder per element).
    """
    out: list[str] = []
    params: list[JsonValue] = []
    last = 0
    for marker in find_markers(sql, dialect):
        out.append(sql[last : marker.start])
        value = values[marker.name]
        items = list(value) if isinstance(value, list | tuple) else [cast(JsonValue, value)]
        spots = []
        for item in items:
            params.append(item)
            spots.append(f"${len(params)}" if dialect == "postgresql" else "?")
        out.append(", ".join(spots))
        last = marker.end
    out.append(sql[last:])
    return BoundQuery("".join(out), tuple(params))


def _pg_markers(sql: str) -> list[Marker]:
    # pglast reports character offsets (inclusive ends), like sqlglot.
    try:
        tokens = scan(sql)
    except ParseError:
        raise InvalidToolDefinition("the SQL cannot be read as PostgreSQL") from None
    markers: list[Marker] = []
    for i, token in enumerate(tokens):
        if token.name == "PARAM":
            raise _native()
        if token.name != "ASCII_58" or i + 1 >= len(tokens):
            continue
        following = tokens[i + 1]
        word = sql[following.start : following.end + 1]
        if following.start == token.end + 1 and _NAME.fullmatch(word):
            markers.append(Marker(word, token.start, following.end + 1))
    return markers


def _sqlglot_markers(sql: str, dialect: Dialect) -> list[Marker]:
    tokenizer = MySQL() if dialect == "mysql" else SQLite()
    try:
        tokens = tokenizer.tokenize(sql)
    except SqlglotError:
        raise InvalidToolDefinition("the SQL cannot be read as " + dialect) from None
    markers: list[Marker] = []
    for i, token in enumerate(tokens):
        if token.token_type == TokenType.PLACEHOLDER:
            if token.text.startswith(":") and _NAME.fullmatch(token.text[1:]):
                markers.append(Marker(token.text[1:], token.start, token.end + 1))
                continue
            raise _native()
        if token.token_type != TokenType.COLON or i + 1 >= len(tokens):
            continue
        following = tokens[i + 1]
        word = sql[following.start : following.end + 1]
        if following.start == token.end + 1 and _NAME.fullmatch(word):
            markers.append(Marker(word, token.start, following.end + 1))
    return markers


def _native() -> InvalidToolDefinition:
    return InvalidToolDefinition(
        "the SQL uses a positional placeholder ($1 or ?): name parameters as :name instead"
    )


def positional_to_named(sql: str, dialect: Dialect, names: Sequence[str]) -> str:
    """``sql`` with ``$n`` (PostgreSQL) or the n-th ``?`` replaced by ``:names[n-1]``.

    For importing statements written for positional parameters; raises
    InvalidToolDefinition when a placeholder has no name to take.
    """
    spots: list[tuple[int, int, str]] = []
    if dialect == "postgresql":
        try:
            tokens = scan(sql)
        except ParseError:
            raise InvalidToolDefinition("the SQL cannot be read as PostgreSQL") from None
        for token in tokens:
            if token.name == "PARAM":
                index = int(sql[token.start + 1 : token.end + 1]) - 1
                if not 0 <= index < len(names):
                    raise InvalidToolDefinition(
                        f"the SQL uses ${index + 1} but has no such parameter"
                    )
                spots.append((token.start, token.end + 1, names[index]))
    else:
        tokenizer = MySQL() if dialect == "mysql" else SQLite()
        try:
            tokens_ = tokenizer.tokenize(sql)
        except SqlglotError:
            raise InvalidToolDefinition("the SQL cannot be read as " + dialect) from None
        marks = [t for t in tokens_ if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]
        if len(marks) != len(names):
            raise InvalidToolDefinition(
                f"the SQL has {len(marks)} ? placeholders for {len(names)} parameters"
            )
        spots = [(t.start, t.end + 1, name) for t, name in zip(marks, names, strict=True)]
    out: list[str] = []
    last = 0
    for start, end, name in spots:
        out.append(sql[last:start])
        out.append(f":{name}")
        last = end
    out.append(sql[last:])
    return "".join(out)
