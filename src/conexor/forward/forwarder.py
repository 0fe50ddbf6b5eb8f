"""Move records and checkpoints from a source to a target, advancing the cursor after each batch.

For each organisation, oldest first:

1. read up to ``batch`` records after the cursor's ``last_seq``;
2. pick the signed checkpoints issued after the cursor's ``last_checkpoint``
   whose size the records sent so far cover (a checkpoint of size N follows
   record N in the stream, so a receiver can check it as soon as it arrives);
3. send both in one call; only when the target accepted them,
4. advance the cursor (atomically, see :mod:`.cursor`).

A failure at (3) leaves the cursor where it was, so the same batch goes again
next time; a crash between (3) and (4) repeats at most that one batch.
:meth:`Forwarder.run` repeats this until stopped, backing off exponentially
while the target fails.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from conexor.audit import AuditRecord, Checkpoint, MalformedCheckpoint, parse_checkpoint
from conexor.errors import ConexorError
from conexor.forward.cursor import Cursor, Position
from conexor.forward.messages import checkpoint_id
from conexor.forward.targets import Target, open_target

__all__ = [
    "AuditSource",
    "ForwardHandle",
    "Forwarder",
    "start_server_forwarding",
]

log = logging.getLogger("conexor.forward")

#: Most new checkpoints looked at per organisation and pass.
CHECKPOINT_WINDOW = 100
#: Longest wait between attempts while the target keeps failing.
MAX_BACKOFF_S = 300.0


class AuditSource(Protocol):
    """Where records come from: the store's :class:`~conexor.store.AuditLog`, or REST."""

    def org_ids(self) -> Sequence[str]:
        """Organisations whose trails are forwarded."""
        ...

    def records(self, org_id: str, *, after_seq: int, limit: int) -> Sequence[AuditRecord]:
        """Up to ``limit`` records with seq > ``after_seq``, oldest first."""
        ...

    def checkpoints(self, org_id: str, *, limit: int) -> Sequence[str]:
        """The newest ``limit`` signed checkpoint texts, newest first."""
        ...


class Forwarder:
    """Forward every organisation's trail from ``source`` to ``target``, resuming at ``cursor``."""

    def __init__(
        self,
        source: AuditSource,
        target: Target,
        cursor: Cursor,
        *,
        batch: int = 500,
        checkpoint_window: int = CHECKPOINT_WINDOW,
    ) -> None:
        if batch < 1 or checkpoint_window < 1:
            raise ValueError("batch and checkpoint_window must be positive")
        cursor.bind(target.name)
        self._source = source
        self._target = target
        self._cursor = cursor
        self._batch = batch
        self._window = checkpoint_window

    @property
    def target(self) -> Target:
        """Where records go."""
        return self._target

    @property
    def cursor(self) -> Cursor:
        """How far forwarding has got."""
        return self._cursor

    def forward_once(self) -> int:
        """Forward everything available now; return how many records were sent.

        Raises :class:`~conexor.forward.ForwardError` when the target refuses a
        batch; batches accepted before it stay accepted.
        """
        sent = 0
        for org_id in self._source.org_ids():
            sent += self._forward_org(org_id)
        return sent

    def _forward_org(self, org_id: str) -> int:
        pending = self._new_checkpoints(org_id)
        sent = 0
        while True:
            pos = self._cursor.position(org_id)
            batch = list(self._source.records(org_id, after_seq=pos.last_seq, limit=self._batch))
            last_seq = batch[-1].seq if batch else pos.last_seq
            # (2) a checkpoint follows the records it covers.
            ready: list[tuple[Checkpoint, str]] = []
            while pending and pending[0][0].size <= last_seq:
                ready.append(pending.pop(0))
            if not batch and not ready:
                return sent
            # (3) delivered, then (4) remembered.
            self._target.send(batch, [text for _, text in ready])
            self._cursor.advance(
                org_id,
                Position(
                    last_seq=last_seq,
                    last_checkpoint=checkpoint_id(ready[-1][0]) if ready else pos.last_checkpoint,
                ),
            )
            sent += len(batch)
            if len(batch) < self._batch and not (pending and pending[0][0].size <= last_seq):
                return sent

    def _new_checkpoints(self, org_id: str) -> list[tuple[Checkpoint, str]]:
        """Checkpoints issued after the last one forwarded, oldest first."""
        last = self._cursor.position(org_id).last_checkpoint
        texts = list(reversed(self._source.checkpoints(org_id, limit=self._window)))
        parsed: list[tuple[Checkpoint, str]] = []
        for text in texts:
            try:
                parsed.append((parse_checkpoint(text), text))
            except MalformedCheckpoint:
                log.warning("skipping a malformed audit checkpoint of org %s", org_id)
        ids = [checkpoint_id(cp) for cp, _ in parsed]
        if last is not None and last in ids:
            return parsed[ids.index(last) + 1 :]
        return parsed

    def run(
        self,
        stop: threading.Event,
        interval_s: float = 5.0,
        *,
        max_backoff_s: float = MAX_BACKOFF_S,
    ) -> None:
        """Forward every ``interval_s`` seconds until ``stop`` is set.

        While passes fail the wait doubles, up to ``max_backoff_s``; the first
        successful pass returns to ``interval_s``. Failures are logged with
        their public message only (never a token or a record).
        """
        delay = interval_s
        failing = False
        while not stop.is_set():
            reason = self._attempt()
            if reason is None:
                if failing:
                    log.info("audit forwarding to %s resumed", self._target.name)
                failing, delay = False, interval_s
            else:
                # Retry once at the normal pace, then back off: a brief outage costs little.
                delay = min(max_backoff_s, max(delay * 2, 1.0)) if failing else interval_s
                failing = True
                log.warning("audit forwarding failed: %s; retrying in %.0f s", reason, delay)
            stop.wait(delay)

    def _attempt(self) -> str | None:
        """One pass; None on success, else a loggable reason free of secrets."""
        try:
            self.forward_once()
        except ConexorError as exc:
            return exc.public
        except Exception as exc:  # noqa: BLE001 - the last line of a background thread
            # Store drivers raise errors whose text can hold a DSN: the type only.
            return f"internal error ({type(exc).__name__})"
        return None


@dataclass
class ForwardHandle:
    """A running background forwarder; :meth:`stop` ends it."""

    forwarder: Forwarder
    _thread: threading.Thread = field(repr=False)
    _stop: threading.Event = field(repr=False)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop after the current pass (at most one send's timeout), then close the target."""
        self._stop.set()
        self._thread.join(timeout_s)
        self.forwarder.target.close()

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread.is_alive()


def start_server_forwarding(
    audit_log: AuditSource,
    url: str,
    state_path: Path,
    *,
    hec_token: str | None = None,
    ca_file: Path | None = None,
    interval_s: float = 5.0,
    batch: int = 500,
    hostname: str = "-",
    unsafe_allow_http: bool = False,
) -> ForwardHandle:
    """Forward every organisation's trail from the server's store in a daemon thread.

    The target URL and the state file are checked here, so a misconfiguration
    fails at start-up; delivery failures later are logged and retried.
    """
    target = open_target(
        url,
        hec_token=hec_token,
        ca_file=ca_file,
        hostname=hostname,
        unsafe_allow_http=unsafe_allow_http,
    )
    try:
        forwarder = Forwarder(audit_log, target, Cursor(state_path), batch=batch)
    except BaseException:
        target.close()
        raise
    stop = threading.Event()
    thread = threading.Thread(
        target=forwarder.run, args=(stop, interval_s), name="conexor-audit-forward", daemon=True
    )
    thread.start()
    log.info("forwarding audit records to %s", target.name)
    return ForwardHandle(forwarder, thread, stop)
