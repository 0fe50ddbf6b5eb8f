"""Tool results from a snapshot, and a compact plain-text rendering of any result.

Every tool answers with the same shape, ``{"columns", "rows", "row_count",
"truncated"}``, so clients parse one thing; :func:`as_text` turns that shape
into an aligned text table for clients that read only the text content.
Pure functions: values in, values out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from conexor.schema.model import Snapshot, Table

__all__ = ["MAX_CELL_CHARS", "as_text", "describe", "table_list"]

#: Longer cells are cut in the text rendering (never in the structured result).
MAX_CELL_CHARS = 200

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    return _ESCAPES.get(ch, f"\\x{ord(ch):02x}")


# One encoder for every cell: json.dumps with options builds a new one per call.
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def table_list(snapshot: Snapshot) -> dict[str, object]:
    """The ``list_tables`` result: one row per table or view, in snapshot order."""
    rows: list[list[object]] = [
        [t.qualified_name, t.kind, len(t.columns), t.comment] for t in snapshot.tables
    ]
    return {
        "columns": ["table", "kind", "columns", "comment"],
        "rows": rows,
        "row_count": len(rows),
        "truncated": False,
    }


def _key(table: Table, column: str) -> str:
    parts: list[str] = []
    if any(c.name == column and c.primary_key for c in table.columns):
        parts.append("PK")
    for fk in table.foreign_keys:
        for mine, theirs in zip(fk.columns, fk.ref_columns, strict=False):
            if mine == column:
                parts.append(f"FK -> {fk.ref_table}.{theirs}")
    return ", ".join(parts)


def describe(table: Table) -> dict[str, object]:
    """The ``describe_table`` result: one row per column.

    ``key`` is ``"PK"``, ``"FK -> customers.id"``, both joined by ``", "``, or
    ``""``; ``default`` and ``comment`` are null when absent.
    """
    rows: list[list[object]] = [
        [c.name, c.type, c.nullable, _key(table, c.name), c.default, c.comment]
        for c in table.columns
    ]
    return {
        "columns": ["column", "type", "nullable", "key", "default", "comment"],
        "rows": rows,
        "row_count": len(rows),
        "truncated": False,
    }


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = value
    elif isinstance(value, list | dict):
        text = _compact(value)
    else:
        text = str(value)
    # One row per line: control characters would break the alignment.
    text = _CONTROL.sub(_escape, text)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_text(result: Mapping[str, object], *, max_chars: int = 8000) -> str:
    """Render a ``{columns, rows}`` result as an aligned plain-text table.

    Numbers are right-aligned, null shows as ``NULL``, control characters are
    escaped and cells are cut at :data:`MAX_CELL_CHARS`. The text never exceeds
    ``max_chars``; when rows do not fit, a closing note says how many are shown.
    """
    columns = [str(c) for c in _seq(result.get("columns"))]
    all_rows = _seq(result.get("rows"))
    row_count = result.get("row_count", len(all_rows))
    total = row_count if isinstance(row_count, int) else len(all_rows)
    truncated = result.get("truncated") is True

    # Render only the rows that could still fit: padding only adds spaces, so a
    # line is at least as long as its unpadded cells joined and stripped. Widths
    # and alignment come from these rows, so a long result costs what its text
    # shows.
    rows: list[list[object]] = []
    cells: list[list[str]] = []
    least = 0
    for raw in all_rows:
        row = list(_seq(raw))
        texts = [_cell(v) for v in row]
        least += len("  ".join(texts).rstrip()) + 1
        if least > max_chars and rows:
            break
        rows.append(row)
        cells.append(texts)
    widths = [len(c) for c in columns]
    for texts in cells:
        for i, text in enumerate(texts[: len(widths)]):
            widths[i] = max(widths[i], len(text))

    # A column of numbers (nulls aside) is right-aligned, header included.
    numeric = [
        any(_is_number(r[i]) for r in rows if i < len(r))
        and all(_is_number(r[i]) or r[i] is None for r in rows if i < len(r))
        for i in range(len(widths))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=False)
        ]
        return "  ".join(parts).rstrip()

    head = [line(columns), line(["-" * w for w in widths])]
    body = [line(c) for c in cells]
    plural = "row" if total == 1 else "rows"
    footer = f"({total} {plural}{', truncated: more rows exist' if truncated else ''})"

    text = "\n".join([*head, *body, footer])
    if len(rows) == len(all_rows) and len(text) <= max_chars:
        return text

    # Keep whole rows while they fit with the note; the note is sized for the
    # largest count it may print so the limit holds.
    def note(shown: int) -> str:
        return f"({shown} of {total} rows shown; text limited to {max_chars} characters)"

    budget = max_chars - len(note(max(total, len(body)))) - 1
    kept: list[str] = []
    used = -1
    for ln in [*head, *body]:
        if used + 1 + len(ln) > budget:
            break
        kept.append(ln)
        used += 1 + len(ln)
    shown = max(0, len(kept) - len(head))
    return "\n".join([*kept, note(shown)])[:max_chars]


def _seq(value: object) -> Sequence[object]:
    if isinstance(value, list | tuple):
        return value
    return ()
