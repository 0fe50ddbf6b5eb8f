"""The bounds every query runs under: rows, time and bytes.

Defaults are safe on their own (rule: every query has a timeout, a row cap and
a byte cap); callers may lower or raise them only within fixed ceilings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from conexor.bounds import MAX_ROWS_LIMIT
from conexor.sandbox.errors import InvalidLimits

__all__ = ["MAX_BYTES_LIMIT", "MAX_ROWS_LIMIT", "MAX_TIMEOUT_S", "Limits"]

MAX_TIMEOUT_S: Final = 300.0
MAX_BYTES_LIMIT: Final = 64 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Row cap, statement timeout in seconds, and cap on the JSON size of the rows."""

    max_rows: int = 1000
    timeout_s: float = 30.0
    max_bytes: int = 5 * 1024 * 1024

    def __post_init__(self) -> None:
        # bool is an int subclass; True is not a row count.
        if (
            isinstance(self.max_rows, bool)
            or not isinstance(self.max_rows, int)
            or not 1 <= self.max_rows <= MAX_ROWS_LIMIT
        ):
            raise InvalidLimits(f"max_rows must be between 1 and {MAX_ROWS_LIMIT}")
        if (
            isinstance(self.timeout_s, bool)
            or not isinstance(self.timeout_s, int | float)
            or not 0 < self.timeout_s <= MAX_TIMEOUT_S
        ):
            raise InvalidLimits(f"timeout_s must be above 0 and at most {MAX_TIMEOUT_S:g}")
        if (
            isinstance(self.max_bytes, bool)
            or not isinstance(self.max_bytes, int)
            or not 1 <= self.max_bytes <= MAX_BYTES_LIMIT
        ):
            raise InvalidLimits(f"max_bytes must be between 1 and {MAX_BYTES_LIMIT}")
