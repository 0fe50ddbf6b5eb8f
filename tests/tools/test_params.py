"""Typed parameters: declaration checks, JSON Schema, and one-line refusals of bad values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from conexor.tools.arguments import InvalidArguments
from conexor.tools.params import Parameter, check_arguments, parameter_schema

LIMIT = Parameter(name="limit", type="integer", min=1, max=100, default=10)
COUNTRY = Parameter(name="country", type="string", allowed_values=["DE", "FR"])
IDS = Parameter(name="ids", type="array", items="integer", max_items=3)
SINCE = Parameter(name="since", type="date", min="2020-01-01")
AT = Parameter(name="at", type="timestamp", required=False)
PAID = Parameter(name="paid", type="boolean")
TOTAL = Parameter(name="total", type="number", max=1000)
ALL = (LIMIT, COUNTRY, IDS, SINCE, AT, PAID, TOTAL)
GOOD = {"country": "DE", "ids": [1, 2], "since": "2024-01-31", "paid": True, "total": 9.5}


def test_values_are_checked_and_normalised() -> None:
    values = check_arguments(ALL, {**GOOD, "at": "2024-01-31T10:00:00+02:00"}, "mysql")
    assert values == {
        "limit": 10,
        "country": "DE",
        "ids": [1, 2],
        "since": "2024-01-31",
        "at": "2024-01-31 08:00:00",
        "paid": True,
        "total": 9.5,
    }
    pg = check_arguments(ALL, {**GOOD, "at": "2024-01-31T10:00:00+02:00"}, "postgresql")
    assert pg["at"] == "2024-01-31 10:00:00+02:00"
    assert check_arguments(ALL, GOOD, "sqlite")["at"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"limit": "5"}, "argument 'limit' must be an integer from 1 to 100"),
        ({"limit": 0}, "argument 'limit' must be an integer from 1 to 100"),
        ({"limit": True}, "argument 'limit' must be an integer from 1 to 100"),
        ({"country": "XX"}, "argument 'country' must be one of: DE, FR"),
        ({"ids": []}, "argument 'ids' must be a list of 1 to 3 integers"),
        ({"ids": [1, 2, 3, 4]}, "argument 'ids' must be a list of 1 to 3 integers"),
        ({"ids": [1, "2"]}, "argument 'ids' must be an integer"),
        ({"since": "31/01/2024"}, "argument 'since' must be a date like 2024-01-31"),
        ({"since": "2019-12-31"}, "argument 'since' must be a date of at least 2020-01-01"),
        ({"at": "yesterday"}, "argument 'at' must be a timestamp like 2024-01-31T09:30:00Z"),
        ({"paid": "yes"}, "argument 'paid' must be true or false"),
        ({"total": 1e9}, "argument 'total' must be a number of at most 1000"),
        ({"total": float("nan")}, "argument 'total' must be a number of at most 1000"),
        ({"country": "DE\x00"}, "argument 'country' must not contain NUL characters"),
        (
            {"extra": 1},
            "unknown argument 'extra'; allowed: at, country, ids, limit, paid, since, total",
        ),
    ],
)
def test_bad_values_give_one_line(args: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArguments) as caught:
        check_arguments(ALL, {**GOOD, **args}, "postgresql")
    assert caught.value.public == message
    assert "\n" not in caught.value.public


def test_missing_required_argument() -> None:
    with pytest.raises(InvalidArguments, match="missing required argument 'country'"):
        check_arguments(ALL, {k: v for k, v in GOOD.items() if k != "country"}, "sqlite")


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x", "type": "array"},
        {"name": "x", "type": "string", "min": 1},
        {"name": "x", "type": "integer", "max_length": 3},
        {"name": "x", "type": "integer", "min": 1, "max": 5, "default": 9},
        {"name": "x", "type": "integer", "allowed_values": ["a"]},
        {"name": "x", "type": "string", "required": True, "default": "a"},
        {"name": "1x", "type": "string"},
        {"name": "x", "type": "json"},
    ],
)
def test_inconsistent_declarations_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Parameter.model_validate(bad)


def test_json_schema() -> None:
    assert parameter_schema(LIMIT) == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 10,
    }
    assert parameter_schema(IDS) == {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 1,
        "maxItems": 3,
    }
    assert parameter_schema(COUNTRY)["enum"] == ["DE", "FR"]
    assert parameter_schema(SINCE)["format"] == "date"


@given(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.lists(st.integers())
    )
)
def test_any_json_value_is_accepted_or_refused_with_invalid_arguments(value: object) -> None:
    for param in ALL:
        message = ""
        try:
            check_arguments((param,), {param.name: value}, "postgresql")
        except InvalidArguments as exc:
            message = exc.public
        assert "\n" not in message
