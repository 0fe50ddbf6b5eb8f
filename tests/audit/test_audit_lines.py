"""verify_lines and the fast path of record lines: the same answers as the strict reader.

The fast path hashes canonical lines without parsing them into records. It
must never accept a line the strict reader refuses, and must hash exactly the
body the strict reader would: both are checked on random records with
arbitrary Unicode and on random corruptions of valid lines.
"""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from audit_factory import SIGNER, checkpoint_of, make_draft, make_trail, reseal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from make_checkpoint_vectors import TAMPER_DIR

from conexor.audit import (
    GENESIS,
    AuditError,
    CompactRange,
    MalformedRecord,
    canonical_json,
    parse_checkpoint,
    parse_verifier,
    record_from_dict,
    record_leaf,
    record_line,
    seal,
    verify_lines,
    verify_trail,
    write_jsonl,
)
from conexor.audit import lines as lines_module
from conexor.audit import trail as trail_module
from conexor.audit.export import parse_jsonl_line
from conexor.audit.lines import line_entries, record_of
from conexor.store.auditlog import _line as stored_line


def _lines(trail: list[Any]) -> list[bytes]:
    return [record_line(r) for r in trail]


def _strict(line: bytes | str, number: int = 1) -> tuple[int, str, str, bytes]:
    rec = parse_jsonl_line(line, number)
    return rec.seq, rec.prev_hash, rec.record_hash, canonical_json(rec.body())


def _fast_taken(lines: list[bytes], monkeypatch: pytest.MonkeyPatch) -> int:
    """How many of ``lines`` the fast path took (the rest went to the strict parser)."""
    strict: list[int] = []
    original = lines_module.parse_jsonl_line

    def counting(line: bytes | str, number: int) -> Any:
        strict.append(number)
        return original(line, number)

    monkeypatch.setattr(lines_module, "parse_jsonl_line", counting)
    list(line_entries(lines))
    return len(lines) - len(strict)


def test_record_line_is_the_jsonl_export() -> None:
    trail = make_trail(6)
    out = io.StringIO()
    write_jsonl(trail, out)
    assert b"".join(_lines(trail)) == out.getvalue().encode()


def test_verify_lines_reports_like_verify_trail(monkeypatch: pytest.MonkeyPatch) -> None:
    trail = make_trail(9)
    cps = [checkpoint_of(trail, 4), checkpoint_of(trail, 9)]
    lines = _lines(trail)
    expected = verify_trail(trail, checkpoints=cps, public_key=SIGNER.verifier())
    assert verify_lines(lines, checkpoints=cps, public_key=SIGNER.verifier()) == expected
    # Text lines, with or without their newline, and blank lines between them.
    texts = [x.decode() for x in lines]
    assert verify_lines(["", *texts, "\n"], checkpoints=cps) == verify_trail(trail, checkpoints=cps)
    assert _fast_taken(lines, monkeypatch) == len(lines)


def test_non_canonical_lines_take_the_strict_path_and_still_verify(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Key order, whitespace and escaping do not matter; values do."""
    trail = make_trail(5)
    shuffled = [
        json.dumps(dict(reversed(list(json.loads(x).items()))), indent=1).replace("\n", " ")
        for x in (line.decode() for line in _lines(trail))
    ]
    lines = [x.encode() for x in shuffled]
    assert _fast_taken(lines, monkeypatch) == 0
    assert verify_lines(lines) == verify_trail(trail)


@pytest.mark.parametrize("path", sorted(TAMPER_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_tamper_vectors_fail_alike(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    trail = [record_from_dict(d) for d in case["trail"]]
    kwargs: dict[str, Any] = {
        "checkpoints": [parse_checkpoint(t) for t in case["checkpoints"]],
        "public_key": parse_verifier(case["verifier_key"]),
    }
    outcomes = []
    for verify, data in ((verify_trail, trail), (verify_lines, _lines(trail))):
        try:
            outcomes.append(verify(data, **kwargs))  # type: ignore[operator]
        except AuditError as exc:
            outcomes.append((type(exc), exc.public, vars(exc)))
    assert outcomes[0] == outcomes[1]


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10)
_json: Any = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=10,
)


@st.composite
def _records(draw: st.DrawFn) -> Any:
    strings = draw(st.lists(_text, min_size=9, max_size=9))
    nulls = draw(st.lists(st.booleans(), min_size=6, max_size=6))
    opt = [None if n else s for n, s in zip(nulls, strings[:6], strict=True)]
    draft = dataclasses.replace(
        make_draft(draw(st.integers(0, 4))),
        ts=datetime(
            draw(st.integers(1, 9999)), 2, 28, 23, 59, 59, draw(st.integers(0, 999_999)), tzinfo=UTC
        ),
        params=draw(st.dictionaries(_text, _json, max_size=4)),
        api_key_id=opt[0],
        client_name=opt[1],
        client_version=opt[2],
        model=opt[3],
        database=opt[4],
        error_code=opt[5],
        user=strings[6] or "u",
        user_id=strings[7] or "i",
        tool=strings[8] or "t",
        duration_us=draw(st.integers(0, 2**53 - 1)),
    )
    return seal(draft, seq=draw(st.integers(1, 2**53 - 1)), prev_hash="ab" * 32)


_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=_SLOW)
@given(rec=_records())
def test_fast_path_hashes_the_rfc8785_body(rec: Any) -> None:
    line = record_line(rec)
    ((seq, prev, digest, body, _),) = list(line_entries([line]))
    assert (seq, prev, digest) == (rec.seq, rec.prev_hash, rec.record_hash)
    assert body == rfc8785.dumps(rec.body())


def _outcome(line: bytes) -> Any:
    try:
        return [e[:4] for e in line_entries([line])]
    except MalformedRecord as exc:
        return exc.public


def _strict_outcome(line: bytes) -> Any:
    if not line.strip():
        return []
    try:
        return [_strict(line)]
    except MalformedRecord as exc:
        return exc.public


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=_SLOW)
@given(rec=_records(), data=st.data())
def test_a_corrupted_line_gets_the_strict_answer(rec: Any, data: st.DataObject) -> None:
    line = bytearray(record_line(rec).rstrip(b"\n"))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(line) - 1))
        kind = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.sampled_from(list(b'"\\{}[],:0123456789abcdefABCDEF -.eE\x00\xff')))
        if kind == "replace":
            line[i] = byte
        elif kind == "insert":
            line.insert(i, byte)
        else:
            del line[i]
    assert _outcome(bytes(line)) == _strict_outcome(bytes(line))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("record_hash", "AB" * 32),  # uppercase hex: refused, not hashed
        ("duration_us", 2**53),  # out of range
        ("row_count", 9007199254740991),  # 16 digits, in range: strict path, accepted
        ("ts", "2026-02-30T00:00:00.000000Z"),  # no such day
        ("ts", "2026-02-28T24:00:00.000000Z"),
        ("params", {"x": 1.5}),  # a float
        ("params", {"\ufb01": 1, "\U0001f600": 2}),  # UTF-16 key order: strict path
        ("params", {"sep": "\u2028"}),  # left raw by RFC 8785
        ("user", 'quote " and backslash \\'),  # escapes: strict path
        ("user", ""),  # must not be empty
        ("mode", "batch"),
        ("seq", 0),
    ],
)
def test_edge_values_get_the_strict_answer(field: str, value: object) -> None:
    d = json.loads(record_line(make_trail(3)[2]))
    d[field] = value
    line = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert _outcome(line) == _strict_outcome(line)


def test_duplicate_keys_and_bad_utf8_are_refused_with_the_line_number() -> None:
    good = record_line(make_trail(1)[0]).rstrip(b"\n")
    duplicated = good[:-1] + b',"user":"x"}'
    with pytest.raises(MalformedRecord, match="line 2: audit record has a duplicate key"):
        list(line_entries([good, duplicated]))
    with pytest.raises(MalformedRecord, match="line 1: not valid UTF-8"):
        list(line_entries([good.replace(b"ana", b"an\xff")]))
    with pytest.raises(MalformedRecord, match=r"line 1: .*not valid Unicode"):
        list(line_entries([good.decode().replace("ana", "an\ud800")]))


def test_the_store_relays_old_and_altered_bodies_faithfully() -> None:
    """Bodies stored before canonical storage, or altered, become lines with the same values."""
    rec = seal(
        dataclasses.replace(make_draft(2), params={"sql": "SELECT 'Mar\u00eda'", "\u00e9": [1]}),
        seq=1,
        prev_hash="0" * 64,
    )
    canonical = canonical_json(rec.body()).decode()
    old_format = json.dumps(rec.body(), sort_keys=True, separators=(",", ":"))
    assert "\\u00" in old_format
    for body in (canonical, old_format, json.dumps(rec.body(), indent=2)):
        assert stored_line(body, rec.record_hash) == record_line(rec)
    assert verify_lines([stored_line(old_format, rec.record_hash)]).head == rec.record_hash
    # Not JSON at all: relayed as a string, which the verifier refuses.
    with pytest.raises(MalformedRecord, match="line 1: an audit record must be a JSON object"):
        verify_lines([stored_line("{oops", rec.record_hash)])
    # A float stored in place of an integer is relayed, and refused by the verifier.
    altered = json.loads(canonical)
    altered["row_count"] = 1.5
    with pytest.raises(MalformedRecord, match="no floating-point"):
        verify_lines([stored_line(json.dumps(altered), rec.record_hash)])


# The loop over canonical lines (ChainRun) against the general pass over entries.

_TRAIL = make_trail(12)
_RESEALED = reseal(_TRAIL[:5] + _TRAIL[6:], 3)  # a rewritten history, relinked from record 4
_LINES = _lines(_TRAIL)


def _general(lines: list[Any], **kwargs: Any) -> Any:
    """verify_lines as it was before ChainRun: every line through line_entries."""
    return trail_module._verify(
        lambda st: trail_module._run(st, line_entries(lines)), record_of, **kwargs
    )


def _answer(verify: Any, lines: list[Any], kwargs: dict[str, Any]) -> Any:
    calls: list[int] = []
    try:
        result = verify(lines, progress=calls.append, **kwargs)
    except AuditError as exc:
        result = (type(exc), exc.public, vars(exc))
    except ValueError as exc:
        result = (type(exc), str(exc))
    return result, calls


def _non_canonical(line: bytes) -> bytes:
    """The same record in another key order and spacing (a line already damaged stays)."""
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    if not isinstance(obj, dict):
        return line
    return json.dumps(dict(reversed(list(obj.items()))), indent=1).replace("\n", " ").encode()


@st.composite
def _damaged(draw: st.DrawFn) -> list[Any]:
    lines: list[Any] = list(_LINES)
    for _ in range(draw(st.integers(0, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(
            st.sampled_from(
                ["byte", "delete", "copy", "swap", "blank", "reencode", "text", "bare", "other"]
            )
        )
        line = lines[i] if isinstance(lines[i], bytes) else lines[i].encode()
        if kind == "byte":
            j = draw(st.integers(0, max(0, len(line) - 2)))
            byte = draw(st.sampled_from(list(b'"\\{},:09af -.\xff')))
            lines[i] = line[:j] + bytes([byte]) + line[j + 1 :]
        elif kind == "delete":
            del lines[i]
        elif kind == "copy":
            lines.insert(i, line)
        elif kind == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif kind == "blank":
            lines.insert(i, draw(st.sampled_from([b"", b"\n", "", " \n"])))
        elif kind == "reencode" and line.strip():
            lines[i] = _non_canonical(line)
        elif kind == "text":
            lines[i] = line.decode("utf-8", "replace")
        elif kind == "bare":
            lines[i] = line.rstrip(b"\n")
        elif kind == "other" and i < len(_RESEALED):
            lines[i] = record_line(_RESEALED[i])
    return lines


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=_SLOW)
@given(lines=_damaged(), data=st.data())
def test_verify_lines_answers_like_the_general_pass(lines: list[Any], data: st.DataObject) -> None:
    """Any damage, any checkpoints, any start point: the same report or error, same progress."""
    start = data.draw(st.integers(0, 4))
    sizes = data.draw(st.lists(st.integers(start, 13), max_size=3))
    forged = data.draw(st.lists(st.sampled_from(sizes), max_size=1)) if sizes else []
    cps = [checkpoint_of(_TRAIL, s) for s in sizes if s <= len(_TRAIL)]
    cps += [checkpoint_of(_RESEALED, s) for s in forged if s <= len(_RESEALED)]
    start_range = CompactRange()
    for rec in _TRAIL[:start]:
        start_range.append(record_leaf(rec))
    kwargs: dict[str, Any] = {
        "checkpoints": cps,
        "public_key": SIGNER.verifier(),
        "origin": None,
        "start_seq": start + 1,
        "start_prev": _TRAIL[start - 1].record_hash if start else GENESIS,
        "start_range": start_range,
    }
    lines = lines[start:]
    with pytest.MonkeyPatch.context() as mp:
        # Small batches and frequent progress, so that every stop is exercised.
        mp.setattr(trail_module, "_LEAF_BATCH", data.draw(st.sampled_from([1, 2, 3, 4096])))
        mp.setattr(trail_module, "PROGRESS_EVERY", data.draw(st.sampled_from([1, 2, 5, 65536])))
        expected = _answer(_general, lines, kwargs)
        assert _answer(verify_lines, lines, kwargs) == expected
        if start or not all(isinstance(x, bytes) and x.strip() for x in lines):
            return
        # Lines that all parse: the same answer as for the records themselves.
        try:
            records = [parse_jsonl_line(x, n) for n, x in enumerate(lines, 1)]
        except MalformedRecord:
            return
        assert _answer(verify_trail, records, kwargs) == expected


def test_canonical_lines_never_reach_the_general_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[Any] = []

    def counting(lines: Any, *, first_line: int = 1) -> Any:
        for entry in line_entries(lines, first_line=first_line):
            taken.append(entry[4])
            yield entry

    monkeypatch.setattr(trail_module, "line_entries", counting)
    monkeypatch.setattr(trail_module, "_LEAF_BATCH", 4)
    cps = [checkpoint_of(_TRAIL, 5), checkpoint_of(_TRAIL, 12)]
    report = verify_lines(_LINES, checkpoints=cps, public_key=SIGNER.verifier())
    assert report == verify_trail(_TRAIL, checkpoints=cps, public_key=SIGNER.verifier())
    assert taken == []
    # A valid line that is not canonical takes the general pass, alone.
    lines = list(_LINES)
    lines[6] = _non_canonical(lines[6])
    assert verify_lines(lines, checkpoints=cps) == verify_trail(_TRAIL, checkpoints=cps)
    assert taken == [(7, lines[6])]


def test_a_bad_start_prev_is_left_to_the_general_pass() -> None:
    """A start hash the loop cannot compare (upper case, not hex) gets the general answer."""
    for prev in (_TRAIL[2].record_hash.upper(), "z" * 64, "é" * 64):
        kwargs: dict[str, Any] = {
            "checkpoints": (),
            "public_key": None,
            "origin": None,
            "start_seq": 4,
            "start_prev": prev,
            "start_range": None,
        }
        assert _answer(verify_lines, _LINES[3:], kwargs) == _answer(_general, _LINES[3:], kwargs)


_FLAT_KEYS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=4)
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=_SLOW)
@given(params=st.dictionaries(_FLAT_KEYS, _SCALAR, max_size=4), data=st.data())
def test_flat_params_are_judged_like_the_strict_reader(params: Any, data: st.DataObject) -> None:
    """Flat params are proved canonical from their text; the answer is still the strict one."""
    rec = seal(dataclasses.replace(make_draft(2), params=params), seq=1, prev_hash=GENESIS)
    line = record_line(rec)
    ((*_, body, _),) = list(line_entries([line]))
    assert body == rfc8785.dumps(rec.body())
    # The same members in another order, or repeated, or spelled another way.
    items = [(json.dumps(k), json.dumps(v, ensure_ascii=False)) for k, v in params.items()]
    items = data.draw(st.permutations(items))
    if items and data.draw(st.booleans()):
        items.append(items[0])
    text = "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if data.draw(st.booleans()):
        text = text.replace(":", ": ", 1)
    altered = line.replace(b'"params":' + canonical_json(params), b'"params":' + text.encode(), 1)
    assert _outcome(altered) == _strict_outcome(altered)


@pytest.mark.parametrize(
    "params",
    [
        b'{"b":1,"a":2}',
        b'{"a":1,"a":1}',
        b'{"a":-0}',
        b'{"a":01}',
        b'{"a":9007199254740991}',
        b'{"a":9007199254740992}',
        b'{"a":1e3}',
        b'{"a":"\\u0041"}',
        b'{"a":"\xf0\x9f\x98\x80"}',
        b'{"\xc3\xa9":1,"z":2}',
        b'{"":null,"a":true,"b":false}',
        b'{"a":[1,{"b":[]}],"c":{}}',
        b'{"a":' + b"[" * 31 + b"1" + b"]" * 31 + b"}",
        b'{"a":' + b"[" * 32 + b"1" + b"]" * 32 + b"}",
        b'{"a":' + b"[" * 33 + b"]" * 33 + b"}",
    ],
)
def test_edge_params_get_the_strict_answer(params: bytes) -> None:
    line = record_line(_TRAIL[1])
    canonical = b'"params":' + canonical_json(_TRAIL[1].params)
    assert canonical in line
    altered = line.replace(canonical, b'"params":' + params, 1)
    assert _outcome(altered) == _strict_outcome(altered)
