"""Prometheus metrics at ``/metrics``: calls, latency, rejections, agents, engines, audit writes.

Every tool call writes exactly one audit record, so the metrics are taken
where the record is appended: one place, every tool, no path uncounted. Each
app has its own registry (tests build many apps in one process). Labels are
tool names, outcomes and error codes — never parameters, users or databases,
which would leak into a monitoring system with looser access than the audit trail.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from conexor.audit.record import AuditDraft, AuditRecord
from conexor.store import AuditLog
from conexor.store.tables import AuditCheckpointRow, AuditHeadRow

__all__ = ["CONTENT_TYPE", "MeteredAuditLog", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """This replica's metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "conexor_tool_calls",
            "Tool calls by tool and outcome (ok, rejected, error).",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "conexor_tool_call_duration_seconds",
            "Tool call duration as recorded in the audit trail.",
            ["tool"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rejections = Counter(
            "conexor_rejections",
            "Calls refused or failed, by error code (sandbox rules, auth, agents).",
            ["code"],
            registry=self.registry,
        )
        self.audit_append = Histogram(
            "conexor_audit_append_seconds",
            "Time to append one audit record durably (before any data is returned).",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.audit_failures = Counter(
            "conexor_audit_append_failures",
            "Audit appends that failed (the call was refused: fail closed).",
            registry=self.registry,
        )
        self.checkpoints = Counter(
            "conexor_audit_checkpoints",
            "Signed checkpoints issued by this replica.",
            registry=self.registry,
        )

    def gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A gauge read at scrape time (agents connected, engines open)."""
        Gauge(name, documentation, registry=self.registry).set_function(read)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


def unsigned_records(engine: Engine) -> float:
    """Audit lag: records, over all organisations, not yet covered by a signed checkpoint.

    Read at scrape time with one query; a growing value means checkpoints have
    stopped (no leader, signing failures), which weakens tamper evidence.
    """
    signed = (
        select(AuditCheckpointRow.org_id, func.max(AuditCheckpointRow.size).label("size"))
        .group_by(AuditCheckpointRow.org_id)
        .subquery()
    )
    query = select(func.coalesce(func.sum(AuditHeadRow.seq - func.coalesce(signed.c.size, 0)), 0))
    query = query.outerjoin(signed, signed.c.org_id == AuditHeadRow.org_id)
    try:
        with engine.connect() as conn:
            return float(conn.execute(query).scalar_one())
    except SQLAlchemyError:
        return float("nan")


class MeteredAuditLog(AuditLog):
    """The audit log, counting each appended record into the metrics."""

    def __init__(self, engine: Engine, metrics: Metrics) -> None:
        super().__init__(engine)
        self._metrics = metrics

    def append(self, draft: AuditDraft) -> AuditRecord:
        """Append as usual; then count the call it records."""
        started = time.perf_counter()
        try:
            record = super().append(draft)
        except Exception:
            self._metrics.audit_failures.inc()
            raise
        m = self._metrics
        m.audit_append.observe(time.perf_counter() - started)
        m.calls.labels(draft.tool, draft.outcome).inc()
        m.latency.labels(draft.tool).observe(draft.duration_us / 1e6)
        if draft.error_code:
            m.rejections.labels(draft.error_code).inc()
        return record
