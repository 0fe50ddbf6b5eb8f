"""Export a trail (JSON Lines, CSV, CEF, syslog, OCSF), and read a JSON Lines export back.

JSON Lines is the verifiable format: each line is the record's canonical JSON
(RFC 8785) including ``record_hash``, so an exported trail can be checked
offline with :func:`read_jsonl` and :func:`conexor.audit.verify`.

CSV is for spreadsheets and SIEM imports. It is not verifiable: to keep a
spreadsheet from running a cell as a formula, any text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
(the OWASP rule for CSV injection), which changes the value.

CEF (:mod:`.cef`), RFC 5424 syslog (:mod:`.syslog`) and OCSF
(:mod:`.ocsf`) are for SIEM ingestion. Every writer streams: it takes any
iterable and holds one record at a time.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, NoReturn, TextIO, get_args

import rfc8785

from conexor.audit.cef import write_cef
from conexor.audit.chain import canonical_json
from conexor.audit.errors import MalformedRecord, UnknownFormat
from conexor.audit.ocsf import write_ocsf
from conexor.audit.record import JSON, RECORD_FIELDS, AuditRecord, parse_ts
from conexor.audit.syslog import write_syslog

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "Format",
    "export",
    "export_pages",
    "parse_jsonl_line",
    "read_csv",
    "read_jsonl",
    "record_from_dict",
    "write_csv",
    "write_jsonl",
]

Format = Literal["jsonl", "csv", "cef", "syslog", "ocsf"]
FORMATS: tuple[str, ...] = get_args(Format)
#: CSV header, in contract order.
CSV_COLUMNS: tuple[str, ...] = RECORD_FIELDS

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_jsonl(records: Iterable[AuditRecord], out: TextIO) -> None:
    """Write one canonical JSON object per line (``\\n``-terminated), record_hash included."""
    for rec in records:
        out.write(canonical_json(rec.to_dict()).decode("utf-8"))
        out.write("\n")


def _cell(value: JSON) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # Objects and lists (params) as compact canonical JSON.
    text = value if isinstance(value, str) else rfc8785.dumps(value).decode("utf-8")
    # A leading quote is escaped too, so the reader can undo the prefix exactly.
    if text.startswith(_FORMULA_START) or text.startswith("'"):
        return "'" + text
    return text


_INT_COLUMNS = frozenset({"seq", "row_count", "duration_us"})


def _uncell(name: str, text: str) -> JSON:
    """The value :func:`_cell` wrote for column ``name``."""
    if text == "":
        return None
    if text.startswith("'") and text[1:2] in (*_FORMULA_START, "'"):
        text = text[1:]
    if name in _INT_COLUMNS:
        try:
            return int(text)
        except ValueError:
            raise MalformedRecord(f"audit record field {name} is not an integer") from None
    if name == "params":
        try:
            value = json.loads(text, parse_float=_reject_float, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise MalformedRecord("audit record field params is not JSON") from None
        return value  # type: ignore[no-any-return]
    return text


def read_csv(lines: Iterable[str]) -> Iterator[AuditRecord]:
    """Parse a CSV export back into records, so it can be verified like the server's trail.

    The header must be :data:`CSV_COLUMNS`; errors name the row number, never its content.
    """
    reader = csv.reader(lines)
    header = next(reader, None)
    if header != list(CSV_COLUMNS):
        raise MalformedRecord("the CSV export does not start with the expected header")
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(CSV_COLUMNS):
            raise MalformedRecord(f"row {number}: wrong number of columns")
        try:
            yield record_from_dict(
                {name: _uncell(name, cell) for name, cell in zip(CSV_COLUMNS, row, strict=True)}
            )
        except MalformedRecord as exc:
            raise MalformedRecord(f"row {number}: {exc.public}") from None


def write_csv(records: Iterable[AuditRecord], out: TextIO, *, header: bool = True) -> None:
    """Write a header row of :data:`CSV_COLUMNS` and one row per record.

    ``params`` is compact canonical JSON in one cell; empty cells are null.
    Rows end in CRLF (RFC 4180); open ``out`` with ``newline=""``. A stream
    written a page at a time passes ``header=False`` after its first page.
    """
    writer = csv.writer(out)
    if header:
        writer.writerow(CSV_COLUMNS)
    for rec in records:
        d = rec.to_dict()
        writer.writerow([_cell(d[name]) for name in CSV_COLUMNS])


def export_pages(pages: Iterable[Iterable[AuditRecord]], fmt: str) -> Iterator[str]:
    """Yield the export of ``pages`` one page of text at a time, for streaming responses.

    The same bytes as :func:`export` over all the records joined: only CSV has
    a header, and it is written once.
    """
    if fmt not in FORMATS:
        raise UnknownFormat()
    first = True
    for page in pages:
        buffer = io.StringIO(newline="")
        if fmt == "csv":
            write_csv(page, buffer, header=first)
        else:
            export(page, fmt, buffer)
        first = False
        yield buffer.getvalue()
    if first and fmt == "csv":  # no records at all: still a CSV with its header
        buffer = io.StringIO(newline="")
        write_csv((), buffer)
        yield buffer.getvalue()


def export(records: Iterable[AuditRecord], fmt: str, out: TextIO) -> None:
    """Write ``records`` to ``out`` in format ``fmt`` (one of :data:`FORMATS`), streaming.

    The SIEM formats use their defaults here (no hostname for syslog, product
    version ``1``); call their writers directly to set them.
    """
    if fmt == "jsonl":
        write_jsonl(records, out)
    elif fmt == "csv":
        write_csv(records, out)
    elif fmt == "cef":
        write_cef(records, out)
    elif fmt == "syslog":
        write_syslog(records, out)
    elif fmt == "ocsf":
        write_ocsf(records, out)
    else:
        raise UnknownFormat()


def record_from_dict(d: Mapping[str, object]) -> AuditRecord:
    """Parse one exported object back into a record, strictly.

    The keys must be exactly :data:`RECORD_FIELDS`; every value must have the
    type the format says (no floats, no booleans for integers). Anything else
    raises :class:`MalformedRecord`; nothing is coerced, because a verifier
    must hash what was written, not a repaired version of it.
    """
    if not isinstance(d, Mapping):
        raise MalformedRecord("an audit record must be a JSON object")
    keys = set(d)
    if keys != set(RECORD_FIELDS):
        missing = sorted(set(RECORD_FIELDS) - keys)
        if missing:
            raise MalformedRecord(f"audit record lacks field {missing[0]}")
        raise MalformedRecord("audit record has an unknown field")
    ts = d["ts"]
    if not isinstance(ts, str):
        raise MalformedRecord("audit record field ts must be text")
    values = {name: d[name] for name in RECORD_FIELDS}
    values["ts"] = parse_ts(ts)
    # The field types are checked by AuditRecord itself.
    return AuditRecord(**values)  # type: ignore[arg-type]


def _reject_float(text: str) -> NoReturn:
    raise MalformedRecord("audit records hold no floating-point numbers")


def _reject_constant(text: str) -> NoReturn:
    raise MalformedRecord("audit records hold no NaN or Infinity")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in pairs:
        if k in out:
            raise MalformedRecord("audit record has a duplicate key")
        out[k] = v
    return out


def read_jsonl(lines: Iterable[str]) -> Iterator[AuditRecord]:
    """Parse a JSON Lines export record by record; blank lines are skipped.

    Errors name the line number, never its content.
    """
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield parse_jsonl_line(line, number)


def parse_jsonl_line(line: str | bytes, number: int) -> AuditRecord:
    """Parse one line of a JSON Lines export strictly; errors name ``number``, never the content.

    Bytes must be UTF-8. Key order, whitespace and escaping do not matter;
    values, their types and the absence of duplicate keys do.
    """
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRecord(f"line {number}: not valid UTF-8") from None
    try:
        obj = json.loads(
            line,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicates,
        )
    except MalformedRecord as exc:
        raise MalformedRecord(f"line {number}: {exc.public}") from None
    except (ValueError, RecursionError):
        raise MalformedRecord(f"line {number}: not a JSON object") from None
    try:
        return record_from_dict(obj)
    except MalformedRecord as exc:
        raise MalformedRecord(f"line {number}: {exc.public}") from None
