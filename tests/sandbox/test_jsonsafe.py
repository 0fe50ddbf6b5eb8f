"""Driver values become JSON-safe values, exactly and predictably."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import uuid
from decimal import Decimal

import pytest

from conexor.sandbox import json_safe, json_safe_row


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (7, 7),
        (2**70, 2**70),
        (1.5, 1.5),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        ("text", "text"),
        (Decimal("12.50"), "12.50"),
        (Decimal("0.1000000000000000000000000001"), "0.1000000000000000000000000001"),
        (Decimal("NaN"), "NaN"),
        (dt.datetime(2024, 5, 6, 7, 8, 9, 10), "2024-05-06T07:08:09.000010"),
        (
            dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2024-05-06T07:08:09+02:00",
        ),
        (dt.date(2024, 5, 6), "2024-05-06"),
        (dt.time(7, 8, 9), "07:08:09"),
        (dt.timedelta(0), "PT0S"),
        (dt.timedelta(days=1, hours=1, minutes=2, seconds=3, milliseconds=500), "P1DT1H2M3.5S"),
        (dt.timedelta(days=30), "P30D"),
        (dt.timedelta(microseconds=1), "PT0.000001S"),
        (-dt.timedelta(hours=1, seconds=1), "-PT1H1S"),
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), "12345678-1234-5678-1234-567812345678"),
        (b"\x00\xff", "base64:AP8="),
        (bytearray(b"hi"), "base64:aGk="),
        (memoryview(b"hi"), "base64:aGk="),
        (ipaddress.ip_address("10.0.0.1"), "10.0.0.1"),
    ],
)
def test_scalars(value: object, expected: object) -> None:
    assert json_safe(value) == expected


def test_json_documents_are_converted_recursively() -> None:
    value = {"a": [1, Decimal("2.5"), {"b": float("nan")}], 3: None, "c": (b"x",)}
    assert json_safe(value) == {"a": [1, "2.5", {"b": "NaN"}], "3": None, "c": ["base64:eA=="]}


def test_rows_always_serialise_strictly() -> None:
    row = (
        1,
        Decimal("1.10"),
        dt.date(2024, 1, 1),
        float("inf"),
        b"\x01",
        {"k": [dt.time(1)]},
        object(),
    )
    safe = json_safe_row(row)
    json.dumps(safe, allow_nan=False)
    assert safe[:5] == [1, "1.10", "2024-01-01", "Infinity", "base64:AQ=="]
    assert isinstance(safe[6], str)
