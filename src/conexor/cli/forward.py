"""``conexor audit forward``: send the organisation's audit trail to a SIEM, resumably.

Records and checkpoints are read through the REST API with the caller's key,
so the command forwards exactly the caller's organisation. The HEC token is
read from ``CONEXOR_HEC_TOKEN`` only: argv is visible to other users.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer

from conexor.audit.record import AuditRecord
from conexor.cli.audit import fetch_records
from conexor.cli.client import ApiClient, CliError
from conexor.cli.options import ApiKeyOpt, ServerOpt
from conexor.cli.output import err
from conexor.forward import Cursor, Forwarder, open_target

__all__ = ["RestSource", "forward_command"]

#: The REST API serves at most this many checkpoints per request.
_CHECKPOINT_LIMIT = 1000


class RestSource:
    """The caller's organisation's trail, read through the REST API (an ``AuditSource``).

    Consecutive reads continue one paged scan instead of starting a new one
    for every batch.
    """

    def __init__(self, api: ApiClient) -> None:
        self._api = api
        self._org_id: str | None = None
        self._scan: Iterator[AuditRecord] | None = None
        self._scan_at = -1

    def org_ids(self) -> list[str]:
        """The one organisation the API key belongs to."""
        if self._org_id is None:
            self._org_id = str(self._api.request("GET", "/me")["org"]["id"])
        return [self._org_id]

    def records(self, org_id: str, *, after_seq: int, limit: int) -> list[AuditRecord]:
        """Up to ``limit`` records after ``after_seq``, oldest first."""
        if self._scan is None or self._scan_at != after_seq:
            self._scan = fetch_records(self._api, after_seq=after_seq)
        batch = list(islice(self._scan, limit))
        if len(batch) < limit:
            self._scan = None  # the scan reached the end; the next read starts afresh
        else:
            self._scan_at = batch[-1].seq
        return batch

    def checkpoints(self, org_id: str, *, limit: int) -> Sequence[str]:
        """The newest signed checkpoints, newest first."""
        page = self._api.request(
            "GET", "/audit/checkpoints", params={"limit": min(limit, _CHECKPOINT_LIMIT)}
        )
        return list(page["checkpoints"])


def forward_command(
    ctx: typer.Context,
    server: ServerOpt,
    api_key: ApiKeyOpt,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Target: syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT or "
            "https://HOST/services/collector/event (Splunk HEC).",
        ),
    ],
    state: Annotated[
        Path,
        typer.Option(
            "--state", help="Cursor file: where forwarding resumes (one file per target)."
        ),
    ] = Path("conexor-forward.json"),
    follow: Annotated[
        bool,
        typer.Option("--follow/--once", help="Keep forwarding new records, or stop when done."),
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.2, help="Seconds between polls with --follow.")
    ] = 5.0,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            "--ca-file",
            exists=True,
            dir_okay=False,
            help="Trust this CA (PEM) for syslog+tls:// or https:// targets.",
        ),
    ] = None,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=5000, help="Records per message batch.")
    ] = 500,
    hec_token: Annotated[
        str | None,
        typer.Option(
            "--hec-token",
            envvar="CONEXOR_HEC_TOKEN",
            hidden=True,
            show_default=False,
            help="Read from CONEXOR_HEC_TOKEN only.",
        ),
    ] = None,
) -> None:
    """Forward audit records and signed checkpoints to a SIEM, resuming where the last run ended.

    The HEC token comes from the CONEXOR_HEC_TOKEN environment variable.
    Delivery is at least once: deduplicate on org_id, seq and record_hash.
    """
    source = ctx.get_parameter_source("hec_token")
    if source is not None and source.name == "COMMANDLINE":
        raise CliError("pass the HEC token in CONEXOR_HEC_TOKEN, never on the command line")
    target = open_target(to, hec_token=hec_token, ca_file=ca_file)
    try:
        cursor = Cursor(state)
        with ApiClient(server, api_key) as api:
            forwarder = Forwarder(RestSource(api), target, cursor, batch=batch)
            if not follow:
                sent = forwarder.forward_once()
                err.print(f"forwarded {sent} audit records to {target.name}", markup=False)
                return
            err.print(
                f"forwarding audit records to {target.name} every {interval:g} s (Ctrl-C stops)",
                markup=False,
            )
            try:
                forwarder.run(threading.Event(), interval)
            except KeyboardInterrupt:
                return
    finally:
        target.close()
