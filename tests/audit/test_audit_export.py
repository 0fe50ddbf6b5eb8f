"""Exports: JSON Lines round trip and offline verify; CSV header and formula escaping."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
from audit_factory import make_trail
from hypothesis import given
from hypothesis import strategies as st

from conexor.audit import (
    CSV_COLUMNS,
    FORMATS,
    ChainBroken,
    MalformedRecord,
    UnknownFormat,
    export,
    read_csv,
    read_jsonl,
    record_from_dict,
    verify,
    write_csv,
    write_jsonl,
)


def test_jsonl_round_trip_verifies() -> None:
    trail = make_trail(5)
    out = io.StringIO()
    write_jsonl(trail, out)
    text = out.getvalue()
    lines = text.splitlines()
    assert len(lines) == 5
    assert text.endswith("\n")
    first = json.loads(lines[0])
    assert list(first) == sorted(first)  # canonical: keys sorted, compact
    assert ", " not in lines[0]
    parsed = list(read_jsonl(io.StringIO(text)))
    assert parsed == trail
    verify(parsed)


def test_jsonl_tampered_line_fails_verify() -> None:
    out = io.StringIO()
    write_jsonl(make_trail(4), out)
    lines = out.getvalue().splitlines()
    lines[2] = lines[2].replace('"row_count":12', '"row_count":13')
    with pytest.raises(ChainBroken) as exc:
        verify(read_jsonl(lines))
    assert (exc.value.seq, exc.value.step) == (3, "record_hash")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("row_count"),
        lambda d: d.update(extra=1),
        lambda d: d.update(row_count=12.0),
        lambda d: d.update(row_count="12"),
        lambda d: d.update(seq=True),
        lambda d: d.update(ts="2026-11-29 09:11:32"),
        lambda d: d.update(ts=0),
        lambda d: d.update(params=[]),
        lambda d: d.update(outcome="OK"),
    ],
)
def test_record_from_dict_is_strict(mutate: object) -> None:
    d = make_trail(3)[2].to_dict()
    mutate(d)  # type: ignore[operator]
    with pytest.raises(MalformedRecord):
        record_from_dict(d)


@pytest.mark.parametrize(
    "line",
    ["not json", "[1]", '{"a": 1, "a": 2}', '{"seq": 1.5}', '{"seq": NaN}', "[" * 100000],
)
def test_read_jsonl_rejects_bad_lines(line: str) -> None:
    good = io.StringIO()
    write_jsonl(make_trail(1), good)
    with pytest.raises(MalformedRecord) as exc:
        list(read_jsonl([good.getvalue(), "", line]))
    assert exc.value.public.startswith("line 3: ")


def test_csv_header_and_rows() -> None:
    trail = make_trail(5)
    out = io.StringIO(newline="")
    write_csv(trail, out)
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 6
    row = dict(zip(CSV_COLUMNS, rows[3], strict=True))
    assert row["seq"] == "3"
    assert row["record_hash"] == trail[2].record_hash
    assert json.loads(row["params"]) == trail[2].params
    assert row["row_count"] == "12"
    assert row["model"] == "claude-sonnet-4"
    assert dict(zip(CSV_COLUMNS, rows[1], strict=True))["model"] == ""
    assert out.getvalue().endswith("\r\n")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("safe=1", "safe=1"),
        ("'quoted", "''quoted"),  # escaped too, so reading back is exact
    ],
)
def test_csv_escapes_formula_injection(value: str, cell: str) -> None:
    rec = dataclasses.replace(make_trail(1)[0], user=value, client_name=value)
    out = io.StringIO(newline="")
    write_csv([rec], out)
    row = dict(
        zip(CSV_COLUMNS, list(csv.reader(io.StringIO(out.getvalue(), newline="")))[1], strict=True)
    )
    assert row["user"] == cell
    assert row["client_name"] == cell


def test_export_dispatch() -> None:
    assert FORMATS == ("jsonl", "csv", "cef", "syslog", "ocsf")
    trail = make_trail(2)
    for fmt in FORMATS:
        out = io.StringIO(newline="")
        export(trail, fmt, out)
        assert out.getvalue()
    with pytest.raises(UnknownFormat) as exc:
        export(trail, "xml<script>", io.StringIO())
    assert exc.value.code == "audit_unknown_format"
    assert "xml" not in exc.value.public


@given(
    text=st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t),
    n=st.integers(1, 4),
)
def test_csv_round_trips_exactly(text: str, n: int) -> None:
    """Re-importing a CSV export gives the same records, so it verifies like the server."""
    trail = [dataclasses.replace(r, client_name=text, model=text) for r in make_trail(n)]
    out = io.StringIO(newline="")
    write_csv(trail, out)
    back = list(read_csv(io.StringIO(out.getvalue(), newline="")))
    assert [r.to_dict() for r in back] == [r.to_dict() for r in trail]


def test_csv_import_rejects_a_foreign_file() -> None:
    with pytest.raises(MalformedRecord, match="header"):
        list(read_csv(io.StringIO("a,b\n1,2\n")))
