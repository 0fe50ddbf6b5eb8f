"""Numeric bounds shared by the command line and the server.

A leaf module on purpose: the CLI needs these for its option ranges at start
up, and importing them must not pull in the SQL parser, the database drivers
or SQLAlchemy (every ``conexor`` invocation would pay for them).
"""

from __future__ import annotations

from typing import Final

__all__ = ["GENERATED_TOOLS_DEFAULT_CAP", "GENERATED_TOOLS_MAX_CAP", "MAX_ROWS_LIMIT"]

#: The highest row cap any policy or call may ask for.
MAX_ROWS_LIMIT: Final = 10_000
#: Tables turned into find_<table> tools when the user names none.
GENERATED_TOOLS_DEFAULT_CAP: Final = 20
#: The most tables one generation request may cover.
GENERATED_TOOLS_MAX_CAP: Final = 500
