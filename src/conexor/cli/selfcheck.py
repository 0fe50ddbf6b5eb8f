"""``conexor selfcheck``: check that a running deployment keeps its promises."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from conexor.cli.options import JsonOpt, ServerOpt
from conexor.cli.output import emit_json, err, out, table

__all__ = ["app"]

app = typer.Typer(help="Check a running deployment keeps its promises.", no_args_is_help=True)

_MARK = {"ok": "ok", "failed": "FAILED", "skipped": "skipped"}


@app.command("exposure")
def exposure(
    server: ServerOpt,
    sqlite_dir: Annotated[
        Path | None,
        typer.Option(
            "--sqlite-dir",
            help="Without CONEXOR_DB_URL: create the throwaway cloud-mode SQLite database here "
            "(a directory the server may open, see CONEXOR_SQLITE_DIRS).",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="The server's data directory (same host): search every file in it."
        ),
    ] = None,
    log: Annotated[
        Path | None, typer.Option("--log", help="The server's log file: search it too.")
    ] = None,
    pg_dump: Annotated[
        bool,
        typer.Option(
            "--pg-dump", help="Search a pg_dump of the PostgreSQL store at the store URL."
        ),
    ] = False,
    store_url: Annotated[
        str | None,
        typer.Option(
            "--store-url",
            envvar="CONEXOR_STORE_URL",
            help="The server's store URL, for --pg-dump (prefer the environment: argv is visible "
            "to other users).",
            show_envvar=True,
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run every flow with canary secrets; search responses, exports, store and log for them.

    The cloud-mode flows use the database in CONEXOR_DB_URL (only read; a
    user that may log in is enough), or a throwaway SQLite file in
    --sqlite-dir. Agent mode uses a throwaway SQLite database served by an
    agent inside this command. Exit status 1 on any leak or failed step.
    """
    from conexor.selfcheck import ExposureOptions, SelfcheckError, run_exposure_check

    if pg_dump and not store_url:
        raise SelfcheckError("--pg-dump needs the store URL: set CONEXOR_STORE_URL")
    report = run_exposure_check(
        ExposureOptions(
            server=server,
            cloud_url=os.environ.get("CONEXOR_DB_URL") or None,
            sqlite_dir=sqlite_dir,
            data_dir=data_dir,
            log_file=log,
            pg_dump_url=store_url if pg_dump else None,
        )
    )
    if as_json:
        emit_json(report.to_json())
    else:
        table(
            "Flows",
            ["step", "result", "detail"],
            [[s.name, _MARK[s.status], s.detail] for s in report.steps],
        )
        table(
            "Searched",
            ["what", "items", "bytes", "leaks"],
            [[s.kind, s.items, s.size, s.hits] for s in report.scanned],
        )
        if report.hits:
            table(
                "Leaks",
                ["where", "canary", "spelled as"],
                [[h.where, h.canary, h.encoding] for h in report.hits],
            )
        out.print(f"{len(report.canaries)} canaries searched in every spelling.")
        for line in report.left:
            out.print(f"left on the server: {line}")
    if not report.ok:
        err.print("selfcheck failed: see the rows marked FAILED or the leaks above")
        raise typer.Exit(1)
    if not as_json:
        out.print("no canary found anywhere it should not be")
