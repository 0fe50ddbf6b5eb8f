"""``conexor audit``: export, verify, checkpoint, prove and follow the audit trail."""

from __future__ import annotations

import base64
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn

from conexor.audit import (
    FORMATS,
    Checkpoint,
    export,
    parse_checkpoint,
    parse_verifier,
    read_csv,
    record_from_dict,
    verify_checkpoint,
    verify_inclusion,
    verify_lines,
    verify_trail,
)
from conexor.audit.notekey import VerifierKey
from conexor.audit.record import AuditRecord
from conexor.cli.client import ApiClient, CliError
from conexor.cli.options import ApiKeyOpt, ServerOpt
from conexor.cli.output import err, out

__all__ = ["app", "fetch_records"]

app = typer.Typer(help="Export, verify and prove the audit trail.", no_args_is_help=True)

KeyOpt = Annotated[
    Path | None,
    typer.Option("--key", help="Pinned checkpoint-signing key (from `conexor audit key --save`)."),
]


def fetch_records(
    api: ApiClient,
    *,
    since: str | None = None,
    until: str | None = None,
    user: str | None = None,
    database: str | None = None,
    after_seq: int = 0,
) -> Iterator[AuditRecord]:
    """The organisation's records, oldest first, fetched a page at a time (constant memory)."""
    params: dict[str, Any] = {"limit": 5000}
    for name, value in (("since", since), ("until", until), ("user", user), ("database", database)):
        if value:
            params[name] = value
    while True:
        page = api.request("GET", "/audit", params={**params, "after_seq": after_seq})
        for item in page["records"]:
            yield record_from_dict(item)
        if page["done"]:
            return
        after_seq = page["next_after_seq"]


def _pinned_key(api: ApiClient, key_file: Path | None) -> VerifierKey:
    if key_file is not None:
        try:
            return parse_verifier(key_file.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError):
            raise CliError(f"could not read the key file {key_file}") from None
    err.print(
        "note: checking signatures with the key the server publishes now; "
        "pin it with `conexor audit key --save FILE` and pass --key FILE"
    )
    return parse_verifier(api.text("/.well-known/conexor-audit-key"))


@app.command("export")
def export_command(
    server: ServerOpt,
    api_key: ApiKeyOpt,
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")] = "jsonl",
    since: Annotated[
        str | None, typer.Option("--since", help="Only records at or after this time (ISO 8601).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only records before this time (ISO 8601).")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only this user (email or id).")
    ] = None,
    database: Annotated[
        str | None, typer.Option("--database", help="Only calls on this database.")
    ] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")] = None,
) -> None:
    """Export audit records (never any row data), streaming, in a SIEM-friendly format."""
    if fmt not in FORMATS:
        raise CliError(f"unknown format {fmt[:20]!r}; choose one of: {', '.join(FORMATS)}")
    with ApiClient(server, api_key) as api:
        records = fetch_records(api, since=since, until=until, user=user, database=database)
        if out_file is None:
            export(records, fmt, sys.stdout)
            return
        with out_file.open("w", encoding="utf-8", newline="") as handle:
            export(records, fmt, handle)
    err.print(f"wrote {out_file}")


@app.command("verify")
def verify_command(
    server: ServerOpt,
    api_key: ApiKeyOpt,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option("--checkpoint", help="A checkpoint saved earlier; repeat for several."),
    ] = None,
    key_file: KeyOpt = None,
) -> None:
    """Recompute the whole trail; check every saved checkpoint; exit 1 at the first damage."""
    saved = [_read_checkpoint(path) for path in checkpoint or []]
    with ApiClient(server, api_key) as api:
        key = _pinned_key(api, key_file)
        server_cps = [
            parse_checkpoint(t) for t in api.request("GET", "/audit/checkpoints")["checkpoints"]
        ]
        with Progress(
            TextColumn("verifying"),
            BarColumn(),
            TextColumn("{task.completed} records"),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("verify", total=None)
            # The stream is canonical JSON Lines, hashed as it arrives (no records built).
            report = verify_lines(
                api.lines("/audit/stream", params={"after_seq": 0}),
                checkpoints=[*saved, *server_cps],
                public_key=key,
                progress=lambda n: bar.update(task, completed=n),
            )
    out.print(
        f"audit trail intact: {report.count} records, "
        f"{len(report.checkpoints)} checkpoint sizes checked, signatures verified"
    )


@app.command("verify-file")
def verify_file_command(
    export_file: Annotated[Path, typer.Argument(help="A JSON Lines or CSV export.")],
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option("--checkpoint", help="A checkpoint saved earlier; repeat for several."),
    ] = None,
    key_file: Annotated[
        Path | None, typer.Option("--key", help="The pinned checkpoint-signing key.")
    ] = None,
) -> None:
    """Verify an exported trail offline, without the server: chain, and every checkpoint given."""
    saved = [_read_checkpoint(path) for path in checkpoint or []]
    if saved and key_file is None:
        raise CliError("checking checkpoints offline needs the pinned key: pass --key FILE")
    key = None
    if key_file is not None:
        try:
            key = parse_verifier(key_file.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError):
            raise CliError(f"could not read the key file {key_file}") from None
    try:
        if export_file.suffix.lower() == ".csv":
            with export_file.open(encoding="utf-8", newline="") as handle:
                report = verify_trail(read_csv(handle), checkpoints=saved, public_key=key)
        else:
            # Binary: lines end at \n only (canonical JSON leaves U+2028 unescaped).
            with export_file.open("rb") as raw:
                report = verify_lines(raw, checkpoints=saved, public_key=key)
    except OSError:
        raise CliError(f"could not read the export file {export_file}") from None
    out.print(
        f"exported audit trail intact: {report.count} records, "
        f"{len(report.checkpoints)} checkpoint sizes checked"
    )


def _read_checkpoint(path: Path) -> Checkpoint:
    try:
        return parse_checkpoint(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise CliError(f"could not read the checkpoint file {path}") from None


@app.command("checkpoint")
def checkpoint_command(
    server: ServerOpt,
    api_key: ApiKeyOpt,
    save: Annotated[
        Path, typer.Option("--save", help="Where to keep the checkpoint (off the server).")
    ],
    key_file: KeyOpt = None,
) -> None:
    """Have the server sign a checkpoint of the trail now, check it, and save it locally."""
    with ApiClient(server, api_key) as api:
        key = _pinned_key(api, key_file)
        text = api.request("POST", "/audit/checkpoints")["checkpoint"]
    cp = parse_checkpoint(text)
    verify_checkpoint(cp, key)
    save.write_text(text, encoding="utf-8")
    out.print(f"saved checkpoint of {cp.size} records to {save}")


@app.command("key")
def key_command(
    server: ServerOpt,
    save: Annotated[Path | None, typer.Option("--save", help="Write the key to this file.")] = None,
) -> None:
    """Show (or save, to pin it) the public key that signs checkpoints."""
    with ApiClient(server) as api:
        text = api.text("/.well-known/conexor-audit-key").strip()
    parse_verifier(text)
    if save is None:
        out.print(text, markup=False)
        return
    save.write_text(text + "\n", encoding="ascii")
    out.print(f"saved the audit signing key to {save}")


@app.command("prove")
def prove_command(
    seq: Annotated[int, typer.Argument(min=1, help="The record's sequence number.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    key_file: KeyOpt = None,
) -> None:
    """Prove that record SEQ is in the signed trail (RFC 6962 inclusion proof), checked here."""
    with ApiClient(server, api_key) as api:
        key = _pinned_key(api, key_file)
        proof = api.request("GET", "/audit/proof", params={"seq": seq})
        record = next(fetch_records(api, after_seq=seq - 1), None)
    cp = parse_checkpoint(proof["checkpoint"])
    verify_checkpoint(cp, key)
    if record is None or record.seq != seq or record.record_hash != proof["leaf"]:
        raise CliError(f"the server's record {seq} does not match its proof")
    path = [base64.b64decode(h) for h in proof["proof"]]
    verify_inclusion(bytes.fromhex(proof["leaf"]), seq - 1, cp.size, path, cp.root)
    out.print(
        f"record {seq} ({record.tool}, {record.outcome}, {record.ts.isoformat()}) is included "
        f"in the signed checkpoint of {cp.size} records"
    )


@app.command("tail")
def tail_command(
    server: ServerOpt,
    api_key: ApiKeyOpt,
    lines: Annotated[int, typer.Option("--lines", min=0, help="Show this many old records.")] = 10,
    follow: Annotated[bool, typer.Option("--follow/--no-follow", help="Keep watching.")] = True,
    interval: Annotated[
        float, typer.Option("--interval", min=0.2, help="Seconds between polls.")
    ] = 1.0,
) -> None:
    """Show the newest records and follow new ones as they are written (Ctrl-C stops)."""
    with ApiClient(server, api_key) as api:
        after = max(0, _head_seq(api) - lines)
        try:
            while True:
                for record in fetch_records(api, after_seq=after):
                    out.print(_line(record), markup=False)
                    after = record.seq
                if not follow:
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            return


def _head_seq(api: ApiClient) -> int:
    texts = api.request("GET", "/audit/checkpoints", params={"limit": 1})["checkpoints"]
    size = parse_checkpoint(texts[0]).size if texts else 0
    # Records may have arrived since the last checkpoint: skip forward over them.
    for record in fetch_records(api, after_seq=size):
        size = record.seq
    return size


def _line(r: AuditRecord) -> str:
    rows = "" if r.row_count is None else f" rows={r.row_count}"
    db = f" db={r.database}" if r.database else ""
    why = f" ({r.error_code})" if r.error_code else ""
    return (
        f"{r.seq} {r.ts.isoformat()} {r.user} {r.client_name or '-'} {r.model or '-'} "
        f"{r.tool}{db} {r.outcome}{why}{rows} {r.duration_us / 1000:.1f}ms"
    )
