"""The persisted cursor: how far each organisation's trail has been forwarded.

A small JSON file (mode 0600)::

    {
      "format": "conexor-forward-cursor/1",
      "target": "syslog+tls://siem.example.com:6514",
      "orgs": {"org_7Qx2": {"last_seq": 1200, "last_checkpoint": "9f2c...e1"}}
    }

``last_seq`` is the last record the target accepted; ``last_checkpoint`` is
the hex :func:`~conexor.audit.checkpoint_hash` of the last checkpoint it
accepted. The forwarder writes the file only after the target took a batch,
by writing a temporary file in the same directory, fsyncing it, renaming it
over the old one and fsyncing the directory, so a crash leaves either the old
or the new cursor, never a torn one. A crash after delivery and before the
rename sends that one batch again on restart (at least once); every message
carries ``org_id``, ``seq`` and ``record_hash`` so the receiver can drop the
repeat.

The file is bound to one target: pointing the same file at another target
would silently skip everything the old one received, so it is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conexor.forward.errors import ForwardError

__all__ = ["FORMAT", "Cursor", "Position"]

FORMAT = "conexor-forward-cursor/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Position:
    """Where one organisation's forwarding stands."""

    last_seq: int = 0
    last_checkpoint: str | None = None


class Cursor:
    """Per-organisation positions, loaded from ``path`` and saved atomically on advance."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._target: str | None = None
        self._orgs: dict[str, Position] = {}
        self._load()

    @property
    def path(self) -> Path:
        """The state file."""
        return self._path

    @property
    def target(self) -> str | None:
        """The target this cursor is bound to, if any yet."""
        return self._target

    def bind(self, target: str) -> None:
        """Tie the cursor to ``target`` (a safe name); refuse one bound to another target."""
        if self._target is not None and self._target != target:
            raise ForwardError(
                f"the forward state file {self._path} belongs to {self._target}; "
                "use another state file for another target"
            )
        self._target = target

    def position(self, org_id: str) -> Position:
        """The organisation's position (zero for one never forwarded)."""
        return self._orgs.get(org_id, Position())

    def org_ids(self) -> list[str]:
        """Organisations that have a position."""
        return sorted(self._orgs)

    def advance(self, org_id: str, position: Position) -> None:
        """Record that the target accepted everything up to ``position``, durably.

        Call only after the target accepted the batch. The position never moves back.
        """
        current = self.position(org_id)
        if position.last_seq < current.last_seq:
            raise ValueError("a forward cursor never moves back")
        if position.last_checkpoint is not None and not _HEX64.fullmatch(position.last_checkpoint):
            raise ValueError("last_checkpoint must be 64 lowercase hex digits")
        orgs = dict(self._orgs)
        orgs[org_id] = position
        self._write(orgs)
        self._orgs = orgs

    def _to_json(self, orgs: dict[str, Position]) -> str:
        data = {
            "format": FORMAT,
            "target": self._target,
            "orgs": {
                org: {"last_seq": p.last_seq, "last_checkpoint": p.last_checkpoint}
                for org, p in sorted(orgs.items())
            },
        }
        return json.dumps(data, indent=2) + "\n"

    def _write(self, orgs: dict[str, Position]) -> None:
        """Temp file + fsync + rename + directory fsync: the old or the new file, never half."""
        directory = self._path.parent
        text = self._to_json(orgs)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            # mkstemp creates the file with mode 0600, so the cursor is never world-readable.
            fd, tmp = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=directory)
        except OSError:
            raise self._unwritable() from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise self._unwritable() from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_directory(directory)

    def _unwritable(self) -> ForwardError:
        return ForwardError(f"could not write the forward state file {self._path}")

    def _load(self) -> None:
        try:
            with self._path.open("rb") as handle:
                raw = handle.read(_MAX_BYTES + 1)
        except FileNotFoundError:
            return
        except OSError:
            raise ForwardError(f"could not read the forward state file {self._path}") from None
        try:
            if len(raw) > _MAX_BYTES:
                raise ValueError("too large")
            data = json.loads(raw.decode("utf-8"))
            self._target, self._orgs = _parse(data)
        except (ValueError, UnicodeDecodeError):
            raise ForwardError(
                f"the forward state file {self._path} is not valid; "
                "restore it from a backup or remove it to forward everything again"
            ) from None


def _parse(data: Any) -> tuple[str | None, dict[str, Position]]:
    """Strictly read the file's JSON; any deviation raises ValueError."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("format")
    target = data.get("target")
    if target is not None and not isinstance(target, str):
        raise ValueError("target")
    orgs_in = data.get("orgs")
    if not isinstance(orgs_in, dict):
        raise ValueError("orgs")
    orgs: dict[str, Position] = {}
    for org, pos in orgs_in.items():
        if not isinstance(pos, dict):
            raise ValueError("org")
        seq = pos.get("last_seq")
        cp = pos.get("last_checkpoint")
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise ValueError("last_seq")
        if cp is not None and (not isinstance(cp, str) or not _HEX64.fullmatch(cp)):
            raise ValueError("last_checkpoint")
        orgs[org] = Position(last_seq=seq, last_checkpoint=cp)
    return target, orgs


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); platforms without directory fds skip it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
