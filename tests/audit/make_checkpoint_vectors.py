"""Generate tests/vectors/audit/checkpoint/checkpoints.json and tests/vectors/audit/tamper/*.json.

Checkpoints are signed with the fixed test key of audit_factory (Ed25519 is
deterministic, so the files are exact). Each tamper case holds a trail, the
checkpoints a customer saved, the verifier key they pinned, and what
``verify_trail`` must raise. Run ``python tests/audit/make_checkpoint_vectors.py``
after a deliberate format change; the tests check that the files are current.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from audit_factory import FORGER, ORIGIN, SIGNER, T0, checkpoint_of, make_draft, make_trail, reseal

from conexor.audit import (
    AuditRecord,
    Checkpoint,
    checkpoint_hash,
    normalize_params,
    seal,
    sign_checkpoint,
    trail_root,
)

VECTOR_DIR = Path(__file__).parents[1] / "vectors" / "audit"
CHECKPOINT_FILE = VECTOR_DIR / "checkpoint" / "checkpoints.json"
TAMPER_DIR = VECTOR_DIR / "tamper"


def _dicts(trail: list[AuditRecord]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in trail]


def _render(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def build_checkpoints() -> dict[str, Any]:
    """Valid checkpoints (exact text) and invalid ones with the error they must raise."""
    trail = make_trail(5)
    cp3 = checkpoint_of(trail, 3)
    cp5 = sign_checkpoint(
        SIGNER,
        origin=ORIGIN,
        size=5,
        root=trail_root(trail),
        time=T0.replace(hour=11),
        previous=checkpoint_hash(cp3),
    )
    text5 = cp5.to_text()
    lines5 = text5.split("\n")

    def swap_line(i: int, new: str) -> str:
        lines = list(lines5)
        lines[i] = new
        return "\n".join(lines)

    root_other = trail_root(trail[:4])

    invalid = [
        ("size_changed", swap_line(1, "4"), "audit_bad_signature"),
        (
            "root_changed",
            swap_line(2, base64.b64encode(root_other).decode()),
            "audit_bad_signature",
        ),
        ("origin_changed", swap_line(0, "conexor.test/audit/org_other"), "audit_bad_signature"),
        ("signed_by_forger", checkpoint_of(trail, 5, key=FORGER).to_text(), "audit_bad_signature"),
        ("no_signature", text5.split("\n\n")[0] + "\n\n", "audit_malformed_checkpoint"),
        ("no_blank_line", text5.replace("\n\n", "\n"), "audit_malformed_checkpoint"),
        ("size_leading_zero", swap_line(1, "05"), "audit_malformed_checkpoint"),
        ("size_negative", swap_line(1, "-5"), "audit_malformed_checkpoint"),
        (
            "root_short",
            swap_line(2, base64.b64encode(bytes(31)).decode()),
            "audit_malformed_checkpoint",
        ),
        ("root_not_base64", swap_line(2, "%%%"), "audit_malformed_checkpoint"),
        ("time_missing", swap_line(3, "when 2026"), "audit_malformed_checkpoint"),
        (
            "time_not_utc",
            swap_line(3, "time 2026-11-29T11:11:32+01:00"),
            "audit_malformed_checkpoint",
        ),
        ("crlf", text5.replace("\n", "\r\n"), "audit_malformed_checkpoint"),
        ("no_final_newline", text5.rstrip("\n"), "audit_malformed_checkpoint"),
        ("signature_line_ascii_dash", text5.replace("\u2014", "-"), "audit_malformed_checkpoint"),
        ("extra_body_line", swap_line(4, lines5[4] + "\nextra line"), "audit_malformed_checkpoint"),
    ]
    return {
        "id": "checkpoints",
        "comment": (
            "Checkpoints of the five-record test trail (tests/vectors/audit/intact.json) signed "
            "with the fixed test key; invalid ones are edits of the size-5 checkpoint. "
            "Each invalid case names the error code parse_checkpoint or verify_checkpoint raises."
        ),
        "verifier_key": SIGNER.verifier().to_text(),
        "signer_key_test_only": SIGNER.to_text(),
        "valid": [
            {
                "id": "size3",
                "comment": "First checkpoint of the log: previous is 32 zero bytes.",
                "result": "valid",
                "size": 3,
                "root_hex": cp3.root.hex(),
                "checkpoint_hash_hex": checkpoint_hash(cp3).hex(),
                "text": cp3.to_text(),
            },
            {
                "id": "size5",
                "comment": "Second checkpoint: previous is the size-3 checkpoint's hash.",
                "result": "valid",
                "size": 5,
                "root_hex": cp5.root.hex(),
                "checkpoint_hash_hex": checkpoint_hash(cp5).hex(),
                "text": text5,
            },
        ],
        "invalid": [
            {
                "id": i,
                "comment": f"The size-5 checkpoint, {i.replace('_', ' ')}.",
                "result": "invalid",
                "text": t,
                "error": e,
            }
            for i, t, e in invalid
        ],
    }


def _case(
    id_: str,
    comment: str,
    trail: list[AuditRecord],
    checkpoints: list[Checkpoint],
    error: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "id": id_,
        "comment": comment,
        "result": "valid" if error is None else "invalid",
        "verifier_key": SIGNER.verifier().to_text(),
        "checkpoints": [cp.to_text() for cp in checkpoints],
        "trail": _dicts(trail),
        "error": error,
    }


def _chain(seq: int, step: str, damage: str, first_bad: int) -> dict[str, Any]:
    return {
        "code": "audit_chain_broken",
        "seq": seq,
        "step": step,
        "damage": damage,
        "first_bad": first_bad,
    }


def _mismatch(damage: str, size: int, seq: int) -> dict[str, Any]:
    return {"code": "audit_checkpoint_mismatch", "damage": damage, "size": size, "seq": seq}


def build_tamper() -> dict[str, dict[str, Any]]:
    """Every tamper case, keyed by file stem."""
    trail = make_trail(6)
    saved = [checkpoint_of(trail, 3), checkpoint_of(trail, 6, seconds=60)]
    cases: list[dict[str, Any]] = []
    cases.append(
        _case(
            "intact", "Untouched six-record trail with checkpoints at 3 and 6.", trail, saved, None
        )
    )

    t = list(trail)
    t[3] = dataclasses.replace(t[3], row_count=999)
    cases.append(
        _case(
            "modify_field",
            "Record 4's row_count edited in place.",
            t,
            saved,
            _chain(4, "record_hash", "field_modified", 4),
        )
    )

    edited = list(trail)
    edited[1] = dataclasses.replace(trail[1], params={"database": "payroll"})
    cases.append(
        _case(
            "modify_and_recompute",
            "Record 2 edited and every later hash recomputed and relinked: the chain is "
            "self-consistent, but the Merkle root at the saved checkpoint's size 3 differs.",
            reseal(edited, 1),
            saved,
            _mismatch("trail_rewritten", 3, 1),
        )
    )

    forged = Checkpoint(
        origin=ORIGIN,
        size=6,
        root=trail_root(reseal(edited, 1)),
        time=saved[1].time,
        signatures=saved[1].signatures,
    )
    cases.append(
        _case(
            "forged_checkpoint",
            "A checkpoint whose root was replaced by the rewritten trail's root, keeping the old "
            "signature line.",
            reseal(edited, 1),
            [saved[0], forged],
            {"code": "audit_bad_signature"},
        )
    )
    cases.append(
        _case(
            "checkpoint_by_other_key",
            "A checkpoint of the rewritten trail signed by a key with the right name but not the "
            "pinned one.",
            reseal(edited, 1),
            [checkpoint_of(reseal(edited, 1), 6, key=FORGER)],
            {"code": "audit_bad_signature"},
        )
    )

    t = list(trail)
    del t[2]
    cases.append(
        _case("delete_record", "Record 3 deleted.", t, saved, _chain(3, "seq", "record_deleted", 3))
    )

    t = list(trail)
    del t[2]
    cases.append(
        _case(
            "delete_and_renumber",
            "Record 3 deleted and later records renumbered (not resealed).",
            [*t[:2], *[dataclasses.replace(r, seq=r.seq - 1) for r in t[2:]]],
            saved,
            _chain(3, "prev_hash", "record_deleted", 3),
        )
    )

    extra = seal(
        dataclasses.replace(trail[1].draft(), tool="list_tables"),
        seq=3,
        prev_hash=trail[1].record_hash,
    )
    inserted = [
        trail[0],
        trail[1],
        extra,
        *[dataclasses.replace(r, seq=r.seq + 1) for r in trail[2:]],
    ]
    cases.append(
        _case(
            "insert_forged",
            "A well-formed forged record inserted as 3; later records renumbered.",
            inserted,
            saved,
            _chain(4, "prev_hash", "record_inserted", 3),
        )
    )

    t = list(trail)
    t[1], t[2] = t[2], t[1]
    cases.append(
        _case(
            "swap_records",
            "Records 2 and 3 swapped.",
            t,
            saved,
            _chain(2, "seq", "records_swapped", 2),
        )
    )

    cases.append(
        _case(
            "truncate_below_checkpoint",
            "Records 5 and 6 dropped; a checkpoint covers 6.",
            trail[:4],
            saved,
            _mismatch("tail_truncated", 6, 5),
        )
    )

    cases.append(
        _case(
            "restore_older_backup",
            "The store restored from a backup holding only 2 records.",
            trail[:2],
            saved,
            _mismatch("tail_truncated", 6, 3),
        )
    )

    forked = list(trail[:2])
    for i in range(2, 7):
        forked.append(seal(make_draft(i + 10), seq=i + 1, prev_hash=forked[-1].record_hash))
    cases.append(
        _case(
            "restore_backup_and_continue",
            "A backup of 2 records restored and new calls appended: seven intact records, but "
            "not the history the checkpoints signed.",
            forked,
            saved,
            _mismatch("trail_rewritten", 3, 1),
        )
    )

    replaced = reseal([dataclasses.replace(r, user="mallory@example.com") for r in trail], 0)
    cases.append(
        _case(
            "replace_whole_trail",
            "Every record replaced by a self-consistent new trail.",
            replaced,
            saved,
            _mismatch("trail_rewritten", 3, 1),
        )
    )

    other_root = checkpoint_of(replaced, 6, seconds=120)
    cases.append(
        _case(
            "split_view",
            "Two validly signed checkpoints of size 6 with different roots: the log showed "
            "different histories to different readers.",
            trail,
            [*saved, other_root],
            _mismatch("split_view", 6, 6),
        )
    )

    nfc = unicodedata.normalize("NFC", "Jos\u00e9")
    nfd = unicodedata.normalize("NFD", "Jos\u00e9")
    drafts = [
        dataclasses.replace(make_draft(2), params=normalize_params({"sql": f"SELECT 1 -- {nfc}"})),
        dataclasses.replace(make_draft(2), params=normalize_params({"sql": f"SELECT 1 -- {nfd}"})),
        dataclasses.replace(
            make_draft(1),
            params=normalize_params(
                {"z": 1, "a": {"\U0001f600": 1, "\ufb01": 2, "b": [" x ", "\t"]}}
            ),
        ),
    ]
    uni: list[AuditRecord] = []
    for d in drafts:
        uni.append(seal(d, seq=len(uni) + 1, prev_hash=uni[-1].record_hash if uni else "0" * 64))
    cases.append(
        _case(
            "unicode_forms_verify_as_stored",
            "Params holding the same name in NFC and in NFD, and keys whose RFC 8785 order "
            "(UTF-16) differs from code point order. Each verifies as stored; nothing is "
            "normalised away, so the NFC and NFD records have different hashes.",
            uni,
            [checkpoint_of(uni, 3)],
            None,
        )
    )
    return {c["id"]: c for c in cases}


def main() -> None:
    CHECKPOINT_FILE.parent.mkdir(parents=True, exist_ok=True)
    CHECKPOINT_FILE.write_text(_render(build_checkpoints()), encoding="utf-8")
    TAMPER_DIR.mkdir(parents=True, exist_ok=True)
    for stem, case in build_tamper().items():
        (TAMPER_DIR / f"{stem}.json").write_text(_render(case), encoding="utf-8")


if __name__ == "__main__":
    main()
