"""The agent's own record of the jobs it ran, kept inside the customer's network.

An append-only JSON Lines file, hash-chained like the server's audit trail,
so the customer holds an independent record to compare with ours: when, what
(a SHA-256 of the SQL, not the SQL's results), how it ended, how many rows.
Never any row. Each line is fsynced before the result leaves the agent.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785

from conexor.agent.errors import AgentError

__all__ = ["GENESIS", "JobLog", "JobLogDamaged", "verify_job_log"]

GENESIS = "0" * 64
_DOMAIN = b"conexor/agent-job-log/v1\x00"


class JobLogDamaged(AgentError):
    """The job log's chain does not verify; the agent will not append to it."""

    code = "agent_job_log_damaged"
    default_public = "the agent's job log is damaged"


def _hash(prev: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(_DOMAIN + bytes.fromhex(prev) + rfc8785.dumps(entry)).hexdigest()


def verify_job_log(path: Path) -> tuple[int, str]:
    """Check every line's link and hash; return (last seq, last hash) or raise JobLogDamaged."""
    seq, prev = 0, GENESIS
    if not path.exists():
        return seq, prev
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
                claimed = entry.pop("hash")
            except (ValueError, KeyError, AttributeError):
                raise JobLogDamaged(f"the agent's job log is damaged at line {number}") from None
            if entry.get("seq") != seq + 1 or entry.get("prev_hash") != prev:
                raise JobLogDamaged(f"the agent's job log is broken at line {number} (link)")
            if _hash(prev, entry) != claimed:
                raise JobLogDamaged(f"the agent's job log is broken at line {number} (hash)")
            seq, prev = entry["seq"], claimed
    return seq, prev


class JobLog:
    """Append entries to the job log, continuing its chain (verified when opened)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seq, self._prev = verify_job_log(path)
        self._lock = threading.Lock()

    def append(
        self,
        *,
        job_id: str,
        sql: str,
        outcome: str,
        rule: str | None,
        row_count: int | None,
        duration_us: int,
    ) -> None:
        """Chain and durably write one entry."""
        with self._lock:
            entry: dict[str, Any] = {
                "seq": self._seq + 1,
                "ts": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "job_id": job_id,
                "sql_sha256": hashlib.sha256(sql.encode("utf-8")).hexdigest(),
                "outcome": outcome,
                "rule": rule,
                "row_count": row_count,
                "duration_us": duration_us,
                "prev_hash": self._prev,
            }
            digest = _hash(self._prev, entry)
            line = json.dumps({**entry, "hash": digest}, separators=(",", ":")) + "\n"
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            self._seq, self._prev = entry["seq"], digest
