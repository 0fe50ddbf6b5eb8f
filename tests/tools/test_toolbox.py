"""Google MCP Toolbox files convert to conexor tools; sources and unsupported parts are reported."""

from __future__ import annotations

from conexor.tools.definition import parse_definition
from conexor.tools.toolbox import SOURCES_WARNING, convert_toolbox

MAP_FORMAT = """
sources:
  my-pg-source:
    kind: postgres
    host: 127.0.0.1
    user: toolbox_user
    password: my-password
tools:
  search-hotels-by-name:
    kind: postgres-sql
    source: my-pg-source
    description: Search for hotels based on name.
    parameters:
      - name: name
        type: string
        description: The name of the hotel.
    statement: SELECT * FROM hotels WHERE name ILIKE '%' || $1 || '%';
  hotels-by-stars:
    kind: postgres-sql
    source: my-pg-source
    description: Hotels with at least some stars.
    parameters:
      - {name: stars, type: integer, minValue: 1, maxValue: 5}
      - {name: limit, type: integer, required: false, default: 10}
    statement: SELECT name FROM hotels WHERE stars >= $1 LIMIT $2
  run-anything:
    kind: postgres-execute-sql
    source: my-pg-source
    description: Run any SQL.
authServices:
  google: {kind: google}
toolsets:
  my-toolset: [search-hotels-by-name, hotels-by-stars, run-anything]
"""

MULTI_DOC = """
kind: sources
name: my-mysql
type: mysql
host: 127.0.0.1
password: secret
---
kind: tools
name: hotels-in-city
type: mysql-sql
source: my-mysql
description: Hotels in a city.
parameters:
  - {name: city, type: string, allowedValues: [Basel, Zurich]}
  - {name: ids, type: array, items: {name: id, type: integer, description: an id}}
statement: SELECT name FROM hotels WHERE city = ? AND id IN (?)
---
kind: tools
name: templated
type: mysql-sql
source: my-mysql
description: Splices a table name.
statement: SELECT * FROM {{.table}}
templateParameters:
  - {name: table, type: string, description: table}
---
kind: toolsets
name: travel
tools: [hotels-in-city]
"""


def test_map_format() -> None:
    report = convert_toolbox(MAP_FORMAT, {"my-pg-source": "hotels"})
    assert [d["name"] for d in report.definitions] == ["search-hotels-by-name", "hotels-by-stars"]
    first, second = report.definitions
    assert first["sql"] == "SELECT * FROM hotels WHERE name ILIKE '%' || :name || '%'"
    assert first["database"] == "hotels" and first["toolsets"] == ["my-toolset"]
    assert second["parameters"][0] == {
        "name": "stars", "description": "", "type": "integer", "min": 1, "max": 5,
    }  # fmt: skip
    assert second["parameters"][1]["required"] is False
    assert SOURCES_WARNING in report.warnings
    assert any("run-anything" in u and "postgres-execute-sql" in u for u in report.unsupported)
    assert any("authServices" in u for u in report.unsupported)
    for definition in report.definitions:
        parse_definition(definition)  # valid conexor definitions
    # Credentials never make it into the result.
    assert "my-password" not in repr(report) and "toolbox_user" not in repr(report)


def test_multi_document_format() -> None:
    report = convert_toolbox(MULTI_DOC, {"my-mysql": "shop"})
    (tool,) = report.definitions
    assert tool["sql"] == "SELECT name FROM hotels WHERE city = :city AND id IN (:ids)"
    assert tool["parameters"][0]["allowed_values"] == ["Basel", "Zurich"]
    assert tool["parameters"][1]["type"] == "array" and tool["parameters"][1]["items"] == "integer"
    assert tool["toolsets"] == ["travel"]
    assert any("templated" in u and "templateParameters" in u for u in report.unsupported)
    assert "secret" not in repr(report)


def test_unmapped_source_is_reported() -> None:
    report = convert_toolbox(MULTI_DOC, {})
    assert not report.definitions
    assert any("--map my-mysql=DATABASE" in u for u in report.unsupported)
