"""``search_schema``: find tables and columns by name or comment, without listing everything.

For large schemas (hundreds of tables) the AI discovers what it needs
progressively instead of reading a huge ``list_tables`` result.
"""

from __future__ import annotations

import fnmatch

from conexor.schema.model import Snapshot

__all__ = ["search"]


def search(snapshot: Snapshot, pattern: str, *, limit: int = 100) -> dict[str, object]:
    """Tables and columns whose name or comment matches ``pattern``.

    Case-insensitive; ``*`` and ``?`` are wildcards, otherwise the pattern
    matches anywhere in the text (``order`` finds ``order_items.ordered_at``).
    """
    needle = pattern.strip().lower()
    if not any(c in needle for c in "*?["):
        needle = f"*{needle}*"
    rows: list[list[object]] = []
    truncated = False

    def hit(*texts: str | None) -> bool:
        return any(t is not None and fnmatch.fnmatchcase(t.lower(), needle) for t in texts)

    for table in snapshot.tables:
        matches: list[list[object]] = []
        if hit(table.name, table.qualified_name, table.comment):
            matches.append([table.qualified_name, None, table.kind, table.comment])
        for column in table.columns:
            if hit(column.name, column.comment):
                matches.append([table.qualified_name, column.name, column.type, column.comment])
        for row in matches:
            if len(rows) >= limit:
                truncated = True
                break
            rows.append(row)
        if truncated:
            break
    return {
        "columns": ["table", "column", "type", "comment"],
        "rows": rows,
        "row_count": len(rows),
        "truncated": truncated,
    }
