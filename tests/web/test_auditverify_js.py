"""The dashboard's audit verification (auditverify.js) agrees with conexor.audit.

Every check runs the real ES module under Node through ``auditverify_harness.mjs``,
one process per batch of checks, and compares it with the Python implementation
on the same input: record hashes, Merkle roots, checkpoint and key parsing,
signatures, and the whole trail verification with every kind of tampering.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import itertools
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conexor.audit import (
    GENESIS,
    AuditDraft,
    AuditError,
    AuditRecord,
    ChainBroken,
    CheckpointMismatch,
    SignerKey,
    normalize_params,
    parse_checkpoint,
    parse_verifier,
    record_from_dict,
    seal,
    sign_checkpoint,
    trail_root,
    verify_checkpoint,
    verify_trail,
)
from conexor.audit.merkle import EMPTY_ROOT
from conexor.audit.merkle import root as merkle_root
from tests.audit.audit_factory import FORGER, ORIGIN, SIGNER, T0, make_draft, reseal
from tests.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).with_name("auditverify_harness.mjs")
VECTORS = ROOT / "tests" / "vectors" / "audit"
KEY = SIGNER.verifier().to_text()
MAX_INT = 2**53 - 1
#: A second honest log key under another name: its checkpoints are not ours.
OTHER = SignerKey("other.test/audit", hashlib.sha256(b"conexor/web/tests/other-key").digest())

Op = tuple[str, list[Any]]


def run_js(ops: list[Op]) -> list[dict[str, Any]]:
    """Run the ops in one Node process; each result is {"ok": value} or {"error": {...}}."""
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js")
    request = json.dumps({"ops": [{"op": op, "args": args} for op, args in ops]})
    proc = subprocess.run(
        [node, str(HARNESS)],
        input=request,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results: list[dict[str, Any]] = json.loads(proc.stdout)["results"]
    assert len(results) == len(ops)
    for result in results:
        assert result.get("error", {}).get("code") != "js_exception", result
    return results


def rest_shape(rec: AuditRecord) -> dict[str, Any]:
    """A record as GET /api/v1/audit returns it: the body plus record_hash."""
    body: dict[str, Any] = rec.body()
    body["record_hash"] = rec.record_hash
    return body


def chain_of(drafts: list[AuditDraft]) -> list[AuditRecord]:
    """Seal drafts one after another, as the store appends them."""
    out: list[AuditRecord] = []
    head = GENESIS
    for draft in drafts:
        rec = seal(draft, seq=len(out) + 1, prev_hash=head)
        out.append(rec)
        head = rec.record_hash
    return out


def checkpoint(
    records: list[AuditRecord], size: int, *, key: SignerKey = SIGNER, minutes: int = 0
) -> str:
    """A signed checkpoint text of the first ``size`` records."""
    return sign_checkpoint(
        key,
        origin=ORIGIN,
        size=size,
        root=trail_root(records[:size]),
        time=T0 + timedelta(hours=1, minutes=minutes),
    ).to_text()


def py_error(exc: AuditError) -> dict[str, Any]:
    """Python's error in the harness's reply form."""
    out: dict[str, Any] = {"code": exc.code, "message": str(exc)}
    if isinstance(exc, ChainBroken):
        out |= {"seq": exc.seq, "step": exc.step, "damage": exc.damage, "firstBad": exc.first_bad}
    elif isinstance(exc, CheckpointMismatch):
        out |= {"damage": exc.damage, "size": exc.size, "seq": exc.seq}
    return out


def py_outcome(fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """Run a Python function: {"ok": its result} or {"error": its AuditError}."""
    try:
        return {"ok": fn(*args)}
    except AuditError as exc:
        return {"error": py_error(exc)}


def js_error(result: dict[str, Any]) -> dict[str, Any]:
    assert "error" in result, result
    err = dict(result["error"])
    assert err.pop("name") == "AuditVerifyError"
    return err


def py_verify_trail(
    records: list[dict[str, Any]], cps: list[str], key: str, origin: str | None = None
) -> dict[str, Any]:
    """verify_trail as the CLI runs it: records parsed as they stream in."""
    try:
        verify_trail(
            (record_from_dict(d) for d in records),
            checkpoints=[parse_checkpoint(t) for t in cps],
            public_key=parse_verifier(key),
            origin=origin,
        )
    except AuditError as exc:
        return {"error": py_error(exc)}
    return {"ok": None}


def _unicode_drafts() -> list[AuditDraft]:
    """Drafts whose parameters exercise escaping and RFC 8785 key order."""
    base = make_draft(2)
    params: list[dict[str, Any]] = [
        # U+1F600 sorts before U+FB01 by UTF-16 code unit, after it by code point.
        {"\ufb01": 1, "\U0001f600": 2, "a": 3},
        {"\ue000": "private use", "\U00010000": "astral", "\uffff": None, "\U0010ffff": True},
        {"ctl": '\x00\x01\x1f\x7f"\\/\b\f\n\r\t', "seps": "\u2028\u2029", "__proto__": {"x": 1}},
        {"nested": {"\U0001d11e": ["é", "e\u0301", "😀", -MAX_INT, MAX_INT, 0, False]}},
        normalize_params({"float": 1.5, "big": 2**60, "tuple": (1, 2), "when": T0}),
    ]
    return [
        dataclasses.replace(base, params=p, user="ünïcødé 😀 user", tool="t\u00e9") for p in params
    ]


TRAIL = chain_of([*(make_draft(i) for i in range(20)), *_unicode_drafts()])
RECORDS = [rest_shape(r) for r in TRAIL]


# ---------------------------------------------------------------- a real trail


def test_real_trail_hashes_roots_chain_and_trail_agree_with_python() -> None:
    n = len(RECORDS)
    cp_full = checkpoint(TRAIL, n)
    cp_mid = checkpoint(TRAIL, 13, minutes=-5)
    heartbeat = checkpoint(TRAIL, n, minutes=10)
    ops: list[Op] = [("recordHash", [r]) for r in RECORDS]
    ops += [("merkleRoot", [[r["record_hash"] for r in RECORDS[:size]]]) for size in range(n + 1)]
    ops += [
        ("verifyChain", [RECORDS, {}]),
        ("verifyChain", [RECORDS[10:], {"prevHash": RECORDS[9]["record_hash"]}]),
        ("verifyChain", [[], {}]),
        ("verifyTrail", [RECORDS, cp_full, KEY]),
        ("verifyTrail", [RECORDS, [heartbeat, cp_mid, cp_full], KEY + "\n", {"origin": ORIGIN}]),
        ("verifyTrail", [RECORDS, cp_mid, KEY]),
        ("verifyTrail", [[], checkpoint([], 0), KEY]),
        ("verifyCheckpoint", [cp_full, KEY]),
        ("parseVerifierKey", [KEY + "\n"]),
    ]
    res = run_js(ops)

    hashes, res = res[:n], res[n:]
    assert [h["ok"] for h in hashes] == [r.record_hash for r in TRAIL]
    roots, res = res[: n + 1], res[n + 1 :]
    assert [r["ok"] for r in roots] == [trail_root(TRAIL[:size]).hex() for size in range(n + 1)]
    assert roots[0]["ok"] == EMPTY_ROOT.hex()

    head = TRAIL[-1].record_hash
    assert res[0]["ok"] == {"count": n, "firstSeq": 1, "lastSeq": n, "head": head}
    assert res[1]["ok"] == {"count": n - 10, "firstSeq": 11, "lastSeq": n, "head": head}
    assert res[2]["ok"] == {"count": 0, "firstSeq": 1, "lastSeq": 0, "head": GENESIS}

    report = verify_trail(
        TRAIL, checkpoints=[parse_checkpoint(cp_full)], public_key=SIGNER.verifier()
    )
    expected = {
        "verified": True,
        "size": n,
        "count": n,
        "firstSeq": 1,
        "lastSeq": n,
        "head": report.head,
        "root": report.root.hex(),
        "checkpointRoot": report.root.hex(),
        "origin": ORIGIN,
        "time": "2026-11-29T10:11:32.250000Z",
        "checkpoints": [n],
        "keyName": "conexor.test/audit",
        "keyId": SIGNER.verifier().key_id.hex(),
    }
    assert res[3]["ok"] == expected
    # Several checkpoints: every size compared once, the newest largest one reported.
    assert res[4]["ok"] == expected | {
        "checkpoints": [13, n],
        "time": "2026-11-29T10:21:32.250000Z",
    }
    # Records after the newest checkpoint are verified by the chain alone: size < count.
    assert res[5]["ok"] == expected | {
        "size": 13,
        "checkpointRoot": trail_root(TRAIL[:13]).hex(),
        "time": "2026-11-29T10:06:32.250000Z",
        "checkpoints": [13],
    }
    assert res[6]["ok"] | {"root": None, "head": None} == {
        "verified": True,
        "size": 0,
        "count": 0,
        "firstSeq": 1,
        "lastSeq": 0,
        "head": None,
        "root": None,
        "checkpointRoot": EMPTY_ROOT.hex(),
        "origin": ORIGIN,
        "time": "2026-11-29T10:11:32.250000Z",
        "checkpoints": [0],
        "keyName": "conexor.test/audit",
        "keyId": SIGNER.verifier().key_id.hex(),
    }
    assert res[6]["ok"]["head"] == GENESIS

    cp = parse_checkpoint(cp_full)
    sig = cp.signatures[0]
    assert res[7]["ok"] == {
        "origin": cp.origin,
        "size": cp.size,
        "sizeText": str(cp.size),
        "root": cp.root.hex(),
        "rootB64": base64.b64encode(cp.root).decode(),
        "time": "2026-11-29T10:11:32.250000Z",
        "previous": cp.previous.hex(),
        "previousB64": base64.b64encode(cp.previous).decode(),
        "body": cp.body(),
        "signatures": [
            {
                "name": sig.name,
                "keyId": sig.key_id.hex(),
                "keyIdHex": sig.key_id.hex(),
                "signature": sig.signature.hex(),
            }
        ],
    }
    vk = SIGNER.verifier()
    assert res[8]["ok"] == {
        "name": vk.name,
        "keyId": vk.key_id.hex(),
        "keyIdHex": vk.key_id.hex(),
        "publicKey": vk.public_key.hex(),
        "text": KEY,
    }


# ---------------------------------------------------------------- tampering

N = 12
BASE = TRAIL[:N]
BASE_RECORDS = RECORDS[:N]
CP = checkpoint(BASE, N)


def _edit(index: int, **changes: Any) -> list[dict[str, Any]]:
    out = copy.deepcopy(BASE_RECORDS)
    out[index].update(changes)
    return out


def _swap(i: int, j: int) -> list[dict[str, Any]]:
    out = copy.deepcopy(BASE_RECORDS)
    out[i], out[j] = out[j], out[i]
    return out


def _edited_param() -> list[dict[str, Any]]:
    out = copy.deepcopy(BASE_RECORDS)
    out[2]["params"]["sql"] = "SELECT 1"
    return out


def _cp_edited(line: int, value: str) -> str:
    lines = CP.split("\n")
    lines[line] = value
    return "\n".join(lines)


def _float_param() -> list[dict[str, Any]]:
    out = copy.deepcopy(BASE_RECORDS)
    out[7]["params"]["ratio"] = 1.5
    return out


_REWRITTEN = [
    rest_shape(r)
    for r in reseal([*BASE[:3], dataclasses.replace(BASE[3], row_count=0), *BASE[4:]], 3)
]
_OTHER_TRAIL = chain_of(
    [dataclasses.replace(make_draft(i), user="mallory@example.com") for i in range(N)]
)

BROKEN, MISMATCH = "audit_chain_broken", "audit_checkpoint_mismatch"
BAD_SIG, MALFORMED_CP = "audit_bad_signature", "audit_malformed_checkpoint"


@dataclasses.dataclass(frozen=True)
class Tamper:
    """A damaged trail (or checkpoint, or key) and the error code and damage it must raise."""

    records: list[dict[str, Any]]
    code: str
    damage: str | None = None
    cps: tuple[str, ...] = (CP,)
    key: str = KEY
    origin: str | None = None


_FORGED_SPLIT = sign_checkpoint(
    SIGNER, origin=ORIGIN, size=N, root=trail_root(_OTHER_TRAIL), time=T0
).to_text()
_ROOT_11 = base64.b64encode(trail_root(BASE[:11])).decode()

TAMPER: dict[str, Tamper] = {
    "edited_param": Tamper(_edited_param(), BROKEN, "field_modified"),
    "edited_row_count": Tamper(_edit(2, row_count=13), BROKEN, "field_modified"),
    "edited_ts": Tamper(_edit(0, ts="2026-11-29T09:11:33.250000Z"), BROKEN, "field_modified"),
    "edited_record_hash": Tamper(_edit(4, record_hash="ab" * 32), BROKEN, "field_modified"),
    "deleted_record": Tamper([*BASE_RECORDS[:5], *BASE_RECORDS[6:]], BROKEN, "record_deleted"),
    "deleted_first_record": Tamper(BASE_RECORDS[1:], BROKEN, "record_deleted"),
    "duplicated_record": Tamper(
        [*BASE_RECORDS[:5], BASE_RECORDS[4], *BASE_RECORDS[5:]], BROKEN, "record_inserted"
    ),
    "reordered_records": Tamper(_swap(4, 5), BROKEN, "records_swapped"),
    "reordered_far_apart": Tamper(_swap(2, 9), BROKEN, "record_deleted"),
    "swapped_prev_hash": Tamper(
        _edit(6, prev_hash=BASE_RECORDS[4]["record_hash"]), BROKEN, "field_modified"
    ),
    "truncated_below_checkpoint": Tamper(BASE_RECORDS[:9], MISMATCH, "tail_truncated"),
    "empty_trail_vs_checkpoint": Tamper([], MISMATCH, "tail_truncated"),
    "checkpoint_by_forger_same_name": Tamper(
        BASE_RECORDS, BAD_SIG, cps=(checkpoint(BASE, N, key=FORGER),)
    ),
    "checkpoint_by_other_key": Tamper(BASE_RECORDS, BAD_SIG, cps=(checkpoint(BASE, N, key=OTHER),)),
    "checkpoint_pinned_other_key": Tamper(BASE_RECORDS, BAD_SIG, key=OTHER.verifier().to_text()),
    "checkpoint_size_edited": Tamper(BASE_RECORDS, BAD_SIG, cps=(_cp_edited(1, "11"),)),
    "checkpoint_time_edited": Tamper(
        BASE_RECORDS, BAD_SIG, cps=(_cp_edited(3, "time 2026-11-29T10:11:32.250001Z"),)
    ),
    "checkpoint_origin_edited": Tamper(
        BASE_RECORDS, BAD_SIG, cps=(_cp_edited(0, "conexor.test/audit/org_other"),)
    ),
    "checkpoint_root_edited": Tamper(BASE_RECORDS, BAD_SIG, cps=(_cp_edited(2, _ROOT_11),)),
    "one_good_one_forged_checkpoint": Tamper(
        BASE_RECORDS, BAD_SIG, cps=(CP, checkpoint(BASE, 6, key=FORGER))
    ),
    "wrong_root": Tamper([rest_shape(r) for r in _OTHER_TRAIL], MISMATCH, "trail_rewritten"),
    "rewritten_and_relinked": Tamper(
        _REWRITTEN, MISMATCH, "trail_rewritten", cps=(checkpoint(BASE, 8), CP)
    ),
    "rewritten_after_first_checkpoint": Tamper(
        [
            *BASE_RECORDS[:3],
            *(rest_shape(r) for r in reseal([*BASE[:3], *_OTHER_TRAIL[3:]], 3)[3:]),
        ],
        MISMATCH,
        "trail_rewritten",
        cps=(checkpoint(BASE, 2), CP),
    ),
    "split_view": Tamper(BASE_RECORDS, MISMATCH, "split_view", cps=(CP, _FORGED_SPLIT)),
    "checkpoint_of_another_log": Tamper(
        BASE_RECORDS, MISMATCH, "wrong_log", origin="conexor.test/audit/org_other"
    ),
    "float_in_params": Tamper(_float_param(), "audit_malformed_record"),
    "malformed_after_break": Tamper(
        [*_edit(2, row_count=1)[:5], {"seq": 6}], BROKEN, "field_modified"
    ),
    "malformed_checkpoint": Tamper(BASE_RECORDS, MALFORMED_CP, cps=(CP.replace("\n", "\r\n"),)),
    "malformed_key": Tamper(BASE_RECORDS, MALFORMED_CP, key=KEY.replace("+", " ", 1)),
}
INTACT: dict[str, tuple[list[dict[str, Any]], list[str]]] = {
    "intact": (BASE_RECORDS, [CP]),
    "grew_after_checkpoint": (RECORDS, [CP]),
    "size_zero_and_full": (BASE_RECORDS, [checkpoint(BASE, 0), CP, checkpoint(BASE, 5)]),
    "rewritten_after_newest_checkpoint": (_REWRITTEN, [checkpoint(BASE, 3)]),
}


@pytest.fixture(scope="module")
def tamper_results() -> dict[str, dict[str, Any]]:
    ops: list[Op] = []
    for t in TAMPER.values():
        options = {} if t.origin is None else {"origin": t.origin}
        ops.append(("verifyTrail", [t.records, list(t.cps), t.key, options]))
    ops += [("verifyTrail", [records, cps, KEY]) for records, cps in INTACT.values()]
    ops.append(("verifyTrail", [BASE_RECORDS, [], KEY]))
    ops.append(("verifyChain", [BASE_RECORDS[3:], {}]))
    ops.append(("verifyChain", [BASE_RECORDS[3:], {"startSeq": 4}]))
    return dict(
        zip(
            [*TAMPER, *INTACT, "no_checkpoint", "chain_from_4", "start_without_prev"],
            run_js(ops),
            strict=True,
        )
    )


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_tampering_is_rejected_like_python(case: str, tamper_results: dict[str, Any]) -> None:
    t = TAMPER[case]
    got = js_error(tamper_results[case])
    assert got["code"] == t.code
    assert got.get("damage") == t.damage
    assert "\n" not in got["message"]
    want = py_verify_trail(t.records, list(t.cps), t.key, t.origin)["error"]
    if t.code == "audit_malformed_record":
        # The browser also says which record; the CLI reads it from a stream.
        assert got.pop("message").endswith(": " + want.pop("message"))
    assert got == want


@pytest.mark.parametrize("case", sorted(INTACT))
def test_intact_trails_verify(case: str, tamper_results: dict[str, Any]) -> None:
    records, cps = INTACT[case]
    assert py_verify_trail(records, cps, KEY) == {"ok": None}
    got = tamper_results[case]["ok"]
    assert got["verified"] is True
    assert got["count"] == len(records)
    assert got["checkpoints"] == sorted({parse_checkpoint(t).size for t in cps})


def test_named_tamper_messages(tamper_results: dict[str, Any]) -> None:
    """The exact one-line messages the dashboard shows (the same as the CLI's)."""
    msg = {k: v["error"]["message"] for k, v in tamper_results.items() if "error" in v}
    assert msg["edited_param"] == "audit trail broken at record 3 (record_hash): field modified"
    assert msg["deleted_record"] == "audit trail broken at record 6 (seq): record deleted"
    assert msg["reordered_records"] == "audit trail broken at record 5 (seq): records swapped"
    assert msg["swapped_prev_hash"] == "audit trail broken at record 7 (prev_hash): field modified"
    assert msg["truncated_below_checkpoint"] == (
        "audit trail truncated: it ends at record 9 but a checkpoint covers 12 records; "
        "records 10 to 12 are missing"
    )
    assert msg["checkpoint_by_forger_same_name"] == (
        "checkpoint of size 12 is not signed by key conexor.test/audit"
    )
    assert msg["checkpoint_size_edited"] == (
        "checkpoint of size 11 has an invalid signature by key conexor.test/audit"
    )
    assert msg["wrong_root"] == (
        "audit trail rewritten since the checkpoint of size 12: the Merkle root differs; "
        "the first changed record is between 1 and 12"
    )
    assert msg["float_in_params"].startswith("record at position 8: ")
    assert msg["no_checkpoint"] == "there is no checkpoint to verify against"
    assert tamper_results["no_checkpoint"]["error"]["code"] == "audit_no_checkpoint"
    # Without the hash they continue from, records must start at 1: the rest were deleted.
    assert js_error(tamper_results["chain_from_4"]) == {
        "code": "audit_chain_broken",
        "message": "audit trail broken at record 1 (seq): record deleted",
        "seq": 1,
        "step": "seq",
        "damage": "record_deleted",
        "firstBad": 1,
    }
    assert js_error(tamper_results["start_without_prev"])["code"] == "audit_bad_input"


# ---------------------------------------------------------------- malformed records


def _deep(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def _record_edits() -> Iterator[tuple[str, Callable[[dict[str, Any]], None]]]:
    def put(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda d: d.__setitem__(name, value)

    def drop(name: str) -> Callable[[dict[str, Any]], None]:
        return lambda d: d.__delitem__(name)

    yield "intact", lambda d: None
    yield "missing_field", drop("model")
    yield "unknown_field", put("extra", 1)
    yield "ts_not_text", put("ts", 1)
    yield "ts_no_micros", put("ts", "2026-11-29T09:11:32Z")
    yield "ts_offset", put("ts", "2026-11-29T09:11:32.250000+00:00")
    yield "ts_feb_29_not_leap", put("ts", "2026-02-29T09:11:32.250000Z")
    yield "ts_feb_29_leap", put("ts", "2000-02-29T09:11:32.250000Z")
    yield "ts_year_zero", put("ts", "0000-01-01T00:00:00.000000Z")
    yield "ts_hour_24", put("ts", "2026-11-29T24:00:00.000000Z")
    yield "empty_user", put("user", "")
    yield "user_not_text", put("user", 7)
    yield "lone_surrogate_user", put("user", "a\ud800b")
    yield "null_tool", put("tool", None)
    yield "database_number", put("database", 3)
    yield "params_list", put("params", [1])
    yield "params_float", put("params", {"x": 0.5})
    yield "params_big_int", put("params", {"x": 2**53})
    yield "params_max_int", put("params", {"x": -MAX_INT})
    yield "params_depth_32", put("params", _deep(32))
    yield "params_depth_33", put("params", _deep(33))
    yield "params_lone_surrogate_key", put("params", {"\udc00": 1})
    yield "mode_other", put("mode", "hybrid")
    yield "outcome_null", put("outcome", None)
    yield "row_count_bool", put("row_count", True)
    yield "row_count_negative", put("row_count", -1)
    yield "duration_too_big", put("duration_us", 2**53)
    yield "seq_zero", put("seq", 0)
    yield "query_hash_upper", put("query_hash", "AB" * 32)
    yield "prev_hash_short", put("prev_hash", "ab")
    yield "record_hash_null", put("record_hash", None)
    yield "not_an_object", lambda d: d.clear()


def test_malformed_records_are_refused_like_python() -> None:
    cases = []
    for name, edit in _record_edits():
        d = copy.deepcopy(RECORDS[2])
        edit(d)
        cases.append((name, [] if name == "not_an_object" else d))
    start = {"prevHash": RECORDS[1]["record_hash"], "startSeq": 3}
    ops: list[Op] = [("verifyChain", [[d], start]) for _, d in cases]
    results = run_js(ops)
    for (name, d), got in zip(cases, results, strict=True):
        want = py_outcome(record_from_dict, d)
        if "error" in want:
            err = js_error(got)
            assert err["code"] == want["error"]["code"] == "audit_malformed_record", name
            assert err["message"] == f"record at position 1: {want['error']['message']}", name
        elif name == "intact":
            assert got["ok"]["head"] == want["ok"].record_hash
        else:
            # Accepted alike; the edited record then no longer recomputes its hash.
            assert js_error(got)["step"] == "record_hash", name


def test_time_with_non_ascii_digits_is_refused() -> None:
    """The browser hashes the text it was sent, so a time not spelled in ASCII digits is refused."""
    d = copy.deepcopy(RECORDS[0])
    d["ts"] = "٢٠٢٦-11-29T09:11:32.250000Z"
    (got,) = run_js([("recordHash", [d])])
    assert js_error(got)["code"] == "audit_malformed_record"


# ---------------------------------------------------------------- hypothesis: record hashes


def _collect(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """Draw up to n examples with hypothesis, to check them all in one Node run."""
    out: list[Any] = []

    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


_any_char = st.characters(codec="utf-8", exclude_categories=("Cs",))
# Keys drawn often from the two ranges whose UTF-16 and code point orders disagree.
_key = st.text(
    st.one_of(
        st.characters(min_codepoint=0xE000, max_codepoint=0xFFFF, exclude_categories=("Cs",)),
        st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
        _any_char,
    ),
    max_size=4,
)
_text = st.text(_any_char, max_size=12)
_json: Any = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_INT, MAX_INT) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_key, inner, max_size=5),
    max_leaves=16,
)
_opt_text = st.none() | _text
_draft = st.builds(
    AuditDraft,
    ts=st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ),
    org_id=st.text(_any_char, min_size=1, max_size=8),
    user_id=st.text(_any_char, min_size=1, max_size=8),
    user=st.text(_any_char, min_size=1, max_size=12),
    api_key_id=_opt_text,
    client_name=_opt_text,
    client_version=_opt_text,
    model=_opt_text,
    tool=st.text(_any_char, min_size=1, max_size=8),
    params=st.dictionaries(_key, _json, max_size=6),
    database=_opt_text,
    mode=st.sampled_from([None, "cloud", "agent"]),
    outcome=st.sampled_from(["ok", "rejected", "error"]),
    error_code=_opt_text,
    row_count=st.none() | st.integers(0, MAX_INT),
    query_hash=st.none() | st.binary(min_size=32, max_size=32).map(bytes.hex),
    duration_us=st.integers(0, MAX_INT),
)


def test_random_unicode_records_hash_the_same_in_js() -> None:
    drafts = _collect(_draft, 200) + _unicode_drafts()
    trail = chain_of(drafts)
    records = [rest_shape(r) for r in trail]
    n = len(records)
    ops: list[Op] = [("recordHash", [r]) for r in records]
    ops.append(("verifyTrail", [records, [checkpoint(trail, n // 2), checkpoint(trail, n)], KEY]))
    results = run_js(ops)
    for rec, got in zip(trail, results[:-1], strict=True):
        assert got == {"ok": rec.record_hash}, rec.params
    assert results[-1]["ok"]["checkpoints"] == [n // 2, n]


# ---------------------------------------------------------------- hypothesis: parsers

# Characters that matter to the formats: separators, digits, base64, controls,
# whitespace Python and JavaScript trim differently, a lone surrogate.
_MUTATION = [
    *"0123456789 +/=Aaz-.\n\t\r\x00\x1c\x7f\x85\u2014\u3000\ufeff\u00e9\ud800",
    "\U0001f600",
]


@st.composite
def _mutated(draw: st.DrawFn, bases: list[str]) -> str:
    text = draw(st.sampled_from(bases))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        ch = draw(st.sampled_from(_MUTATION))
        if kind == "insert":
            text = text[:i] + ch + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + 1 :]
        elif kind == "replace":
            text = text[:i] + ch + text[i + 1 :]
        else:
            text = text[:i]
    return text


def _py_checkpoint(text: str) -> dict[str, Any]:
    try:
        cp = parse_checkpoint(text)
    except AuditError as exc:
        return {"error": py_error(exc)}
    try:
        verify_checkpoint(cp, SIGNER.verifier())
        verified: dict[str, Any] = {"ok": True}
    except AuditError as exc:
        verified = {"error": py_error(exc)}
    fields = {
        "origin": cp.origin,
        "size": cp.size,
        "root": cp.root.hex(),
        "previous": cp.previous.hex(),
        "body": cp.body(),
        "signatures": [[s.name, s.key_id.hex(), s.signature.hex()] for s in cp.signatures],
    }
    return {"ok": fields, "verified": verified}


def _js_checkpoint(parsed: dict[str, Any], verified: dict[str, Any]) -> dict[str, Any]:
    if "error" in parsed:
        return {"error": js_error(parsed)}
    cp = parsed["ok"]
    fields = {
        "origin": cp["origin"],
        "size": cp["size"],
        "root": cp["root"],
        "previous": cp["previous"],
        "body": cp["body"],
        "signatures": [[s["name"], s["keyId"], s["signature"]] for s in cp["signatures"]],
    }
    return {
        "ok": fields,
        "verified": {"error": js_error(verified)} if "error" in verified else {"ok": True},
    }


def test_checkpoint_and_key_parsers_accept_and_reject_like_python() -> None:
    trail = TRAIL[:5]
    cosigned = checkpoint(trail, 5) + "\u2014 witness.example AAAAAAECAwQ=\n"
    bases = [checkpoint(trail, 3), cosigned, checkpoint(trail, 0)]
    texts = [*_collect(_mutated(bases), 300), *bases, "x" * 16385, "\n\n"]
    key_bases = [KEY, OTHER.verifier().to_text(), KEY + "\n"]
    # Every short base64-like blob: Python's decoder decides "not base64" versus
    # "not canonical", and the browser must name the same error.
    blobs = ["".join(p) for n in range(10) for p in itertools.product("AB=", repeat=n)]
    short = [f"k+00000000+{b}" for b in blobs if re.fullmatch("[AB]*={0,2}", b)]
    keys = [*_collect(_mutated(key_bases), 150), *key_bases, *short]
    ops: list[Op] = []
    for text in texts:
        ops += [("parseCheckpoint", [text]), ("verifyCheckpoint", [text, KEY])]
    ops += [("parseVerifierKey", [k]) for k in keys]
    results = run_js(ops)
    accepted = 0
    for i, text in enumerate(texts):
        got = _js_checkpoint(results[2 * i], results[2 * i + 1])
        want = _py_checkpoint(text)
        assert got == want, repr(text)
        accepted += "ok" in want
    assert accepted >= len(bases)
    for k, got in zip(keys, results[2 * len(texts) :], strict=True):
        want = py_outcome(parse_verifier, k)
        if "error" in want:
            assert js_error(got) == want["error"], repr(k)
            continue
        vk = want["ok"]
        assert got["ok"]["publicKey"] == vk.public_key.hex(), repr(k)
        assert (got["ok"]["name"], got["ok"]["keyIdHex"]) == (vk.name, vk.key_id.hex())
        assert got["ok"]["text"] == vk.to_text()


# ---------------------------------------------------------------- published and generated vectors


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_merkle_roots_match_rfc6962_reference_vectors() -> None:
    ref = _load(VECTORS / "merkle" / "rfc6962_reference.json")
    leaves = ref["leaves_hex"]
    # Larger trees than the reference's eight leaves, against Python's RFC 6962 code.
    big = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(70)]
    sizes = [0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 70]
    ops: list[Op] = [("merkleRoot", [leaves[:size]]) for size in range(len(leaves) + 1)]
    ops += [("merkleRoot", [big[:size]]) for size in sizes]
    ops += [("merkleRoot", [["AB" * 32]]), ("merkleRoot", [["abc"]]), ("merkleRoot", ["ab"])]
    results = run_js(ops)
    n = len(leaves) + 1
    assert [r["ok"] for r in results[:n]] == ref["roots_hex"]
    assert [r["ok"] for r in results[n : n + len(sizes)]] == [
        merkle_root(bytes.fromhex(x) for x in big[:size]).hex() for size in sizes
    ]
    assert [js_error(r)["code"] for r in results[n + len(sizes) :]] == ["audit_bad_input"] * 3


def test_chain_vectors() -> None:
    files = sorted(p for p in VECTORS.glob("*.json") if _load(p)["kind"] == "trail")
    example = _load(VECTORS / "hash_example.json")
    ops: list[Op] = [("verifyChain", [_load(p)["trail"], {}]) for p in files]
    ops.append(("recordHash", [example["body"]]))
    results = run_js(ops)
    assert results[-1] == {"ok": example["record_hash"]}
    for path, got in zip(files, results[:-1], strict=True):
        case = _load(path)
        if case["result"] == "valid":
            assert got["ok"]["head"] == case["head"]["record_hash"], path.name
            assert got["ok"]["lastSeq"] == case["head"]["seq"], path.name
            continue
        want = case["broken_at"]
        err = js_error(got)
        assert err["code"] == "audit_chain_broken", path.name
        assert (err["seq"], err["step"], err["damage"], err["firstBad"]) == (
            want["seq"],
            want["step"],
            want["damage"],
            want["first_bad"],
        ), path.name


def test_tamper_and_checkpoint_vectors() -> None:
    tamper = sorted((VECTORS / "tamper").glob("*.json"))
    cps = _load(VECTORS / "checkpoint" / "checkpoints.json")
    note = _load(VECTORS / "checkpoint" / "go_signed_note.json")
    ops: list[Op] = []
    for path in tamper:
        case = _load(path)
        ops.append(("verifyTrail", [case["trail"], case["checkpoints"], case["verifier_key"]]))
    ops += [("verifyCheckpoint", [c["text"], cps["verifier_key"]]) for c in cps["valid"]]
    ops += [("verifyCheckpoint", [c["text"], cps["verifier_key"]]) for c in cps["invalid"]]
    good_keys = [note["verifier_key"], note["enoch_verifier_key"]]
    ops += [("parseVerifierKey", [k]) for k in [*good_keys, *note["bad_verifier_keys"]]]
    results = iter(run_js(ops))

    for path in tamper:
        case, got = _load(path), next(results)
        want = case["error"]
        if want is None:
            assert got["ok"]["verified"] is True, path.name
            assert got["ok"]["count"] == len(case["trail"]), path.name
            continue
        err = js_error(got)
        assert err["code"] == want["code"], path.name
        expected = {k: v for k, v in want.items() if k != "code"}
        if "first_bad" in expected:
            expected["firstBad"] = expected.pop("first_bad")
        assert {k: err.get(k) for k in expected} == expected, path.name
    for c in cps["valid"]:
        got = next(results)["ok"]
        assert (got["size"], got["root"]) == (c["size"], c["root_hex"]), c["id"]
    for c in cps["invalid"]:
        assert js_error(next(results))["code"] == c["error"], c["id"]
    for k in good_keys:
        got = next(results)["ok"]
        assert k == got["text"]
        assert got["keyIdHex"] == k.split("+")[1]
    for _ in note["bad_verifier_keys"]:
        assert js_error(next(results))["code"] == "audit_malformed_checkpoint"
