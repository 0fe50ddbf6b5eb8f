"""The agent's local job log: hash-chained, append-only, refused when damaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conexor.agent.joblog import JobLog, JobLogDamaged, verify_job_log


def _fill(path: Path, n: int) -> None:
    log = JobLog(path)
    for i in range(n):
        log.append(
            job_id=f"j{i}", sql=f"SELECT {i}", outcome="ok", rule=None, row_count=i, duration_us=5
        )


def test_chain_continues_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "jobs.jsonl"
    _fill(path, 3)
    _fill(path, 2)  # a restarted agent continues the chain
    seq, _ = verify_job_log(path)
    assert seq == 5
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3, 4, 5]
    assert all("SELECT" not in json.dumps(e) for e in lines)  # a hash of the SQL, not the SQL
    assert path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("damage", ["edit", "delete", "garbage"])
def test_damage_is_detected_and_the_agent_refuses_to_continue(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "jobs.jsonl"
    _fill(path, 4)
    lines = path.read_text().splitlines()
    if damage == "edit":
        entry = json.loads(lines[1])
        entry["row_count"] = 999
        lines[1] = json.dumps(entry, separators=(",", ":"))
    elif damage == "delete":
        del lines[1]
    else:
        lines[2] = "{not json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(JobLogDamaged, match=r"line [23]"):
        JobLog(path)
