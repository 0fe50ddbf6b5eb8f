"""The token estimate is deterministic and grows with the tool list."""

from __future__ import annotations

from conexor.tools.budget import estimate_tokens, tool_budget
from conexor.tools.catalog import BUILTIN_TOOLS


def test_estimate() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("hello world") == 2
    assert estimate_tokens('{"a":1}') == 5
    assert estimate_tokens("internationalisation") > estimate_tokens("nation")


def test_budget_of_the_builtin_tools_is_small() -> None:
    tools = [
        {"name": t.name, "description": t.description, "inputSchema": dict(t.input_schema)}
        for t in BUILTIN_TOOLS
    ]
    budget = tool_budget(tools)
    assert budget["tool_count"] == 5
    assert 500 < budget["total_tokens"] < 2000
    assert budget["total_tokens"] == sum(t["tokens"] for t in budget["tools"])
