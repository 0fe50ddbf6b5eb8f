"""Read the adversarial suite: ``tests/vectors/sandbox/suite/{reject,allow}_<dialect>.sql``.

One file holds many cases. Each case starts with ``-- id: <name>``, may carry
``-- class: <what it attacks>``, ``-- rule: <rule id>`` and ``-- needs:
snapshot|server`` lines (a case that only the schema snapshot or the
execution layer can refuse), and its SQL is everything up to the next
``-- id:`` line (trailing blank lines dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parents[1] / "vectors" / "sandbox" / "suite"


@dataclass(frozen=True)
class Case:
    """One suite case."""

    id: str
    kind: str  # "reject" or "allow"
    cls: str
    rule: str | None
    needs: str | None
    sql: str


def load(kind: str, dialect: str) -> list[Case]:
    """Every case of ``SUITE/<kind>_<dialect>.sql``, in file order."""
    cases: list[Case] = []
    current: dict[str, str] | None = None
    body: list[str] = []

    def flush() -> None:
        if current is not None:
            sql = "\n".join(body).rstrip("\n")
            cases.append(
                Case(
                    current["id"],
                    kind,
                    current.get("class", ""),
                    current.get("rule"),
                    current.get("needs"),
                    sql,
                )
            )

    for line in (SUITE / f"{kind}_{dialect}.sql").read_text().splitlines():
        if line.startswith("-- id: "):
            flush()
            current, body = {"id": line[len("-- id: ") :].strip()}, []
            continue
        if current is not None and not body:
            for key in ("class", "rule", "needs"):
                if line.startswith(f"-- {key}: "):
                    current[key] = line[len(f"-- {key}: ") :].strip()
                    break
            else:
                body.append(line)
            continue
        body.append(line)
    flush()
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), f"duplicate ids in {kind}_{dialect}.sql"
    return cases


def params(kind: str, dialect: str) -> list[pytest.param]:
    """The cases as pytest parameters named by id."""
    return [pytest.param(case, id=case.id) for case in load(kind, dialect)]
