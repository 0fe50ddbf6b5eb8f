"""Record construction: validation, normalisation of tool arguments, the query hash."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest
from audit_factory import make_draft, make_trail

from conexor.audit import (
    DRAFT_FIELDS,
    RECORD_FIELDS,
    AuditError,
    AuditWriteFailed,
    MalformedRecord,
    format_ts,
    normalize_params,
    parse_ts,
)
from conexor.audit.record import MAX_PARAM_DEPTH


def test_field_order_is_the_contract() -> None:
    assert RECORD_FIELDS == (
        "seq",
        "ts",
        "org_id",
        "user_id",
        "user",
        "api_key_id",
        "client_name",
        "client_version",
        "model",
        "tool",
        "params",
        "database",
        "mode",
        "outcome",
        "error_code",
        "row_count",
        "query_hash",
        "duration_us",
        "prev_hash",
        "record_hash",
    )
    assert set(DRAFT_FIELDS) < set(RECORD_FIELDS)


def test_errors_have_stable_codes() -> None:
    assert AuditError.code == "audit_error"
    assert issubclass(MalformedRecord, AuditError)
    exc = AuditWriteFailed()
    assert exc.code == "audit_write_failed"
    assert exc.public == "the audit record could not be written; the call was not run"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ts", datetime(2026, 1, 1)),  # naive
        ("org_id", ""),
        ("user", None),
        ("tool", 3),
        ("model", b"x"),
        ("params", {"x": 1.5}),
        ("params", {"x": 2**60}),
        ("params", {1: "x"}),
        ("params", {"x": ("a",)}),
        ("params", ["not", "an", "object"]),
        ("params", {"x": "\ud800"}),
        ("mode", "hybrid"),
        ("outcome", "denied"),
        ("row_count", -1),
        ("row_count", True),
        ("row_count", 1.0),
        ("duration_us", None),
        ("query_hash", "ABC"),
        ("query_hash", "A" * 64),
    ],
)
def test_draft_rejects(field: str, value: Any) -> None:
    with pytest.raises(MalformedRecord) as exc:
        dataclasses.replace(make_draft(2), **{field: value})
    assert "\ud800" not in exc.value.public


def test_record_rejects_bad_chain_fields() -> None:
    rec = make_trail(1)[0]
    for field, value in [("seq", 0), ("seq", True), ("prev_hash", "0"), ("record_hash", None)]:
        with pytest.raises(MalformedRecord):
            dataclasses.replace(rec, **{field: value})


def test_params_are_copied() -> None:
    params: dict[str, Any] = {"sql": "SELECT 1", "opts": {"a": [1]}}
    draft = dataclasses.replace(make_draft(0), params=params)
    params["opts"]["a"].append(2)
    assert draft.params == {"sql": "SELECT 1", "opts": {"a": [1]}}
    draft.content()["params"]["sql"] = "changed"  # type: ignore[index]
    assert draft.params["sql"] == "SELECT 1"


def test_normalize_params() -> None:
    out = normalize_params(
        {
            "max_rows": 10,
            "ratio": 0.5,
            "big": 2**60,
            "nan": float("nan"),
            "tup": (1, 2),
            "nested": {3: None},
            "bad": "a\ud800b",
            "flag": True,
            "obj": object.__new__(type("Thing", (), {"__str__": lambda self: "thing"})),
        }
    )
    assert out == {
        "max_rows": 10,
        "ratio": "0.5",
        "big": str(2**60),
        "nan": "nan",
        "tup": [1, 2],
        "nested": {"3": None},
        "bad": "a\ufffdb",
        "flag": True,
        "obj": "thing",
    }
    dataclasses.replace(make_draft(0), params=out)  # accepted as it is


def test_normalize_params_refuses_deep_nesting() -> None:
    deep: Any = "x"
    for _ in range(MAX_PARAM_DEPTH + 1):
        deep = [deep]
    with pytest.raises(MalformedRecord):
        normalize_params({"a": deep})


def test_ts_format_and_parse() -> None:
    ts = make_draft(3).ts
    text = format_ts(ts)
    assert text == "2026-11-29T09:12:23.253702Z"
    assert parse_ts(text) == ts
    assert format_ts(datetime.fromisoformat("0900-01-02T03:04:05+00:00")) == (
        "0900-01-02T03:04:05.000000Z"
    )
    for bad in [
        "2026-11-29T09:12:23Z",
        "2026-11-29T09:12:23.253702+00:00",
        "2026-13-29T09:12:23.253702Z",
        " 2026-11-29T09:12:23.253702Z",
        # Non-ASCII digits: the hashed spelling would differ from the exported text.
        "\u0662\u0660\u0662\u0666-11-29T09:12:23.253702Z",
        "2026-11-29T09:12:23.25370\uff12Z",
    ]:
        with pytest.raises(MalformedRecord):
            parse_ts(bad)
