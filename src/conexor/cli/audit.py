"""``conexor audit``: export the trail and verify its hash chain."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from conexor.audit import chain
from conexor.audit.export import FORMATS, export, record_from_dict
from conexor.audit.record import AuditRecord
from conexor.cli.client import ApiClient, CliError
from conexor.cli.options import ApiKeyOpt, ServerOpt
from conexor.cli.output import err, out

__all__ = ["app", "fetch_records"]

app = typer.Typer(help="Export and verify the audit trail.", no_args_is_help=True)


def fetch_records(api: ApiClient, *, since: str | None = None) -> Iterator[AuditRecord]:
    """Every record of the caller's organisation, oldest first, fetched a page at a time."""
    after = 0
    while True:
        params: dict[str, str | int] = {"after_seq": after, "limit": 1000}
        if since:
            params["since"] = since
        page = api.request("GET", "/audit", params=params)
        for item in page["records"]:
            yield record_from_dict(item)
        if len(page["records"]) < 1000:
            return
        after = page["next_after_seq"]


@app.command("export")
def export_command(
    server: ServerOpt,
    api_key: ApiKeyOpt,
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")] = "jsonl",
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only records at or after this UTC time (ISO 8601)."),
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Export audit records (never any row data) as JSON lines or CSV."""
    if fmt not in FORMATS:
        raise CliError(f"unknown format {fmt[:20]!r}; choose one of: {', '.join(FORMATS)}")
    with ApiClient(server, api_key) as api:
        records = list(fetch_records(api, since=since))
    if out_file is None:
        export(records, fmt, sys.stdout)
        return
    with out_file.open("w", encoding="utf-8", newline="") as handle:
        export(records, fmt, handle)
    err.print(f"wrote {len(records)} records to {out_file}")


@app.command("verify")
def verify_command(server: ServerOpt, api_key: ApiKeyOpt) -> None:
    """Check the whole hash chain; exit non-zero naming the first bad record."""
    with ApiClient(server, api_key) as api:
        records = list(fetch_records(api))
    chain.verify(records)
    out.print(f"audit trail intact: {len(records)} records")
