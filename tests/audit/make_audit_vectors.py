"""Generate tests/vectors/audit/*.json from the deterministic trail in audit_factory.

Run ``python tests/audit/make_audit_vectors.py`` after a deliberate format
change; test_audit_vectors checks that the files match what this produces.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from audit_factory import make_trail

from conexor.audit import DOMAIN, AuditRecord, canonical_json, head, seal

VECTOR_DIR = Path(__file__).parents[1] / "vectors" / "audit"
N = 5


def _dicts(trail: list[AuditRecord]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in trail]


def _flip(hex_: str) -> str:
    """Change the first hex digit, keeping the value well-formed."""
    return ("1" if hex_[0] == "0" else "0") + hex_[1:]


def _reseal(trail: list[AuditRecord], start: int) -> list[AuditRecord]:
    """Recompute hashes and links from index ``start`` on, as a forger with store access would."""
    out = trail[:start]
    for rec in trail[start:]:
        prev = out[-1].record_hash if out else "0" * 64
        out.append(seal(rec.draft(), seq=len(out) + 1, prev_hash=prev))
    return out


def _trail_case(
    id_: str,
    comment: str,
    trail: list[dict[str, Any]],
    broken_at: tuple[int, str, str, int] | None,
    head_: tuple[int, str] | None = None,
) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": id_,
        "comment": comment,
        "kind": "trail",
        "result": "valid" if broken_at is None else "invalid",
        "trail": trail,
    }
    if broken_at is not None:
        case["broken_at"] = {
            "seq": broken_at[0],
            "step": broken_at[1],
            "damage": broken_at[2],
            "first_bad": broken_at[3],
        }
    else:
        case["head"] = {"seq": head_[0], "record_hash": head_[1]} if head_ else None
    return case


def build() -> dict[str, dict[str, Any]]:
    """Every vector, keyed by file stem."""
    trail = make_trail(N)
    cases: list[dict[str, Any]] = []

    cases.append(
        _trail_case(
            "intact",
            "An untouched trail of five records, one per kind of outcome.",
            _dicts(trail),
            None,
            head(trail),
        )
    )

    t = _dicts(trail)
    t[2]["row_count"] = 1200
    cases.append(
        _trail_case(
            "changed_row_count",
            "Record 3's row_count edited in place; its hash no longer recomputes.",
            t,
            (3, "record_hash", "field_modified", 3),
        )
    )

    t = _dicts(trail)
    t[1]["params"]["database"] = "payroll"
    cases.append(
        _trail_case(
            "changed_params",
            "Record 2's tool arguments edited in place.",
            t,
            (2, "record_hash", "field_modified", 2),
        )
    )

    t = _dicts(trail)
    t[0]["ts"] = "2026-11-29T09:11:33.250000Z"
    cases.append(
        _trail_case(
            "changed_ts",
            "The first record's time moved by one second.",
            t,
            (1, "record_hash", "field_modified", 1),
        )
    )

    t = _dicts(trail)
    del t[2]
    cases.append(
        _trail_case(
            "deleted_record",
            "Record 3 deleted; the numbering now has a gap.",
            t,
            (3, "seq", "record_deleted", 3),
        )
    )

    t = _dicts(trail)
    t[1], t[2] = t[2], t[1]
    cases.append(
        _trail_case(
            "reordered_records", "Records 2 and 3 swapped.", t, (2, "seq", "records_swapped", 2)
        )
    )

    t = _dicts(trail)
    t.insert(2, dict(t[1]))
    cases.append(
        _trail_case(
            "duplicated_record", "Record 2 appears twice.", t, (3, "seq", "record_inserted", 3)
        )
    )

    t = _dicts(trail)
    t[3]["prev_hash"] = t[2]["prev_hash"]
    cases.append(
        _trail_case(
            "changed_prev_hash",
            "Record 4's prev_hash points at record 2 instead of record 3.",
            t,
            (4, "prev_hash", "field_modified", 4),
        )
    )

    t = _dicts(trail)
    t[0]["prev_hash"] = "11" * 32
    t[0]["record_hash"] = seal(trail[0].draft(), seq=1, prev_hash="11" * 32).record_hash
    cases.append(
        _trail_case(
            "first_not_genesis",
            "Record 1 is resealed onto a non-genesis prev_hash: it links to nothing.",
            t,
            (1, "prev_hash", "record_deleted", 1),
        )
    )

    t = _dicts(trail)
    t[4]["record_hash"] = _flip(t[4]["record_hash"])
    cases.append(
        _trail_case(
            "changed_record_hash",
            "The last record's hash altered; nothing follows it to link.",
            t,
            (5, "record_hash", "field_modified", 5),
        )
    )

    forged = seal(
        dataclasses.replace(trail[1].draft(), row_count=0), seq=2, prev_hash=trail[1].prev_hash
    )
    t = _dicts(trail)
    t[1] = forged.to_dict()
    cases.append(
        _trail_case(
            "recomputed_hash_without_relinking",
            "Record 2 edited and its hash recomputed, but record 3 still links to the old hash.",
            t,
            (3, "prev_hash", "field_modified", 2),
        )
    )

    renumbered = [trail[0], trail[1], *[dataclasses.replace(r, seq=r.seq - 1) for r in trail[3:]]]
    cases.append(
        _trail_case(
            "deleted_and_renumbered",
            "Record 3 deleted and the later records renumbered; record 4 (now 3) links to the "
            "deleted one.",
            _dicts(renumbered),
            (3, "prev_hash", "record_deleted", 3),
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
        _trail_case(
            "inserted_record",
            "A well-formed record inserted as number 3 and the later records renumbered; the old "
            "record 3 (now 4) does not link to it.",
            _dicts(inserted),
            (4, "prev_hash", "record_inserted", 3),
        )
    )

    edited = list(trail)
    edited[3] = dataclasses.replace(trail[3], row_count=0)
    relinked = _reseal(edited, 3)
    cases.append(
        _trail_case(
            "rewritten_tail_relinked",
            "Records 4 and 5 rewritten and the chain recomputed from there. The chain alone "
            "cannot detect this: only a checkpoint of the intact head (see intact.json) does, "
            "because the head differs.",
            _dicts(relinked),
            None,
            head(relinked),
        )
    )

    truncated = trail[:3]
    cases.append(
        _trail_case(
            "truncated_tail",
            "Records 4 and 5 dropped. The chain alone cannot detect this: only a checkpoint of "
            "the intact head does.",
            _dicts(truncated),
            None,
            head(truncated),
        )
    )

    first = trail[0]
    jcs = canonical_json(first.body())
    cases.append(
        {
            "id": "hash_example",
            "comment": "Record 1 byte by byte: SHA-256(domain || prev_hash bytes || body_jcs).",
            "kind": "hash",
            "result": "valid",
            "domain_hex": DOMAIN.hex(),
            "prev_hash": first.prev_hash,
            "body": first.body(),
            "body_jcs": jcs.decode("utf-8"),
            "record_hash": first.record_hash,
        }
    )
    return {c["id"]: c for c in cases}


def render(case: dict[str, Any]) -> str:
    """The exact file text for one vector."""
    return json.dumps(case, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> None:
    VECTOR_DIR.mkdir(parents=True, exist_ok=True)
    for stem, case in build().items():
        (VECTOR_DIR / f"{stem}.json").write_text(render(case), encoding="utf-8")


if __name__ == "__main__":
    main()
