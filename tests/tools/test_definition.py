"""Tools files: YAML read safely, one-line errors naming the tool and field."""

from __future__ import annotations

import pytest

from conexor.tools.definition import load_tools_file
from conexor.tools.errors import InvalidToolDefinition

GOOD = """
tools:
  orders_by_country:
    description: Orders shipped to one country.
    database: shop
    sql: SELECT id FROM orders WHERE country = :country LIMIT :limit
    parameters:
      - {name: country, type: string, allowed_values: [DE, FR]}
      - {name: limit, type: integer, min: 1, max: 100, default: 20}
    toolsets: [reports]
toolsets:
  sales: [orders_by_country]
"""


def test_loads_definitions_with_toolsets() -> None:
    (tool,) = load_tools_file(GOOD)
    assert tool.name == "orders_by_country"
    assert tool.toolsets == ("reports", "sales")
    assert [p.name for p in tool.parameters] == ["country", "limit"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("default: 20", "default: 200"),
            "tool 'orders_by_country': parameters.1: default 'limit' must be an integer from 1 to 100",
        ),
        (
            GOOD.replace("type: string", "type: text"),
            "tool 'orders_by_country': parameters.0.type:",
        ),
        (
            GOOD.replace("    database: shop\n", ""),
            "tool 'orders_by_country': database: Field required",
        ),
        (
            GOOD.replace("orders_by_country", "query"),
            "tool 'query': definition: query is a built-in tool",
        ),
        (
            GOOD.replace("sales: [orders_by_country]", "sales: [nope]"),
            "toolset 'sales' names an unknown tool 'nope'",
        ),
        ("a: &x [1]\nb: *x\n", "the tools file uses YAML aliases"),
        ("tools: [", "the tools file is not valid YAML (line 1)"),
        (
            "sources: {}\n",
            "the tools file has an unknown key 'sources' (a Toolbox file? use: conexor tools import --from toolbox)",
        ),
        ("!!python/object:os.system {}\n", "the tools file is not valid YAML"),
        ("tools: {}\n", "the tools file must map tool names under 'tools'"),
    ],
)
def test_errors_are_one_line_naming_tool_and_field(text: str, message: str) -> None:
    with pytest.raises(InvalidToolDefinition) as caught:
        load_tools_file(text)
    assert caught.value.public.startswith(message)
    assert "\n" not in caught.value.public
