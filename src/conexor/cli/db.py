"""``conexor db``: add (encrypting locally), list, remove and test databases."""

from __future__ import annotations

import getpass
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from conexor.bounds import MAX_ROWS_LIMIT
from conexor.cli.client import ApiClient, CliError
from conexor.cli.options import ApiKeyOpt, JsonOpt, ServerOpt
from conexor.cli.output import emit_json, err, out, table
from conexor.cli.sharing import share_database
from conexor.cli.urlinput import read_url
from conexor.crypto import AadContext, parse_api_key, seal

# The SQL layer (SQLAlchemy, drivers, parser) is imported by the commands that
# connect to a database, not at start-up: every other command starts faster.

__all__ = ["app", "register_cloud_database"]

app = typer.Typer(help="Register and manage databases.", no_args_is_help=True)


def _absolute_sqlite(url: str) -> str:
    """A relative SQLite path means the CLI's directory, not the server's: make it absolute."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CliError("the connection URL is not a valid database URL") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = os.path.abspath(parsed.database)
        if not os.path.isfile(path):
            raise CliError("the SQLite database file does not exist")
        return parsed.set(database=path).render_as_string(hide_password=False)
    return url


def register_cloud_database(
    api: ApiClient,
    api_key: str,
    name: str,
    url: str,
    *,
    max_rows: int | None = None,
    timeout_s: int | None = None,
) -> dict[str, Any]:
    """Introspect locally, seal the URL under the API key, upload ciphertext and metadata only."""
    from conexor.sandbox import create_database_engine, dialect_of_url, probe, role_report
    from conexor.schema import introspect

    key = parse_api_key(api_key)
    url = _absolute_sqlite(url)
    dialect = dialect_of_url(url)
    engine = create_database_engine(url, pool_size=1)
    try:
        probe(engine)
        snapshot = introspect(engine)
        report = role_report(engine, dialect)
    finally:
        engine.dispose()
    me = api.request("GET", "/me")
    database_id = str(uuid.uuid4())
    envelope = seal(
        url.encode("utf-8"),
        [key],
        AadContext(org_id=me["org"]["id"], database_id=database_id, revision=1),
    )
    result: dict[str, Any] = api.request(
        "POST",
        "/databases",
        json={
            "id": database_id,
            "name": name,
            "dialect": dialect,
            "mode": "cloud",
            "envelope": json.loads(envelope.to_json()),
            "schema": snapshot.to_json(),
            **({"max_rows": max_rows} if max_rows is not None else {}),
            **({"timeout_s": timeout_s} if timeout_s is not None else {}),
        },
    )
    result["warnings"] = report.findings
    result["grants"] = report.grants
    return result


def _add_agent_database(
    server: str,
    api_key: str,
    name: str,
    dialect: str | None,
    max_rows: int | None,
    timeout_s: int | None,
    as_json: bool,
) -> None:
    """Register an agent-mode database: no URL at all, and print its agent token once."""
    from conexor.schema import Snapshot

    if dialect not in ("postgresql", "mysql", "sqlite"):
        raise CliError("agent mode needs --dialect postgresql, mysql or sqlite")
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": name,
        "dialect": dialect,
        "mode": "agent",
        "schema": Snapshot(dialect=dialect, tables=()).to_json(),
    }
    if max_rows is not None:
        body["max_rows"] = max_rows
    if timeout_s is not None:
        body["timeout_s"] = timeout_s
    with ApiClient(server, api_key) as api:
        result = api.request("POST", "/databases", json=body)
    if as_json:
        emit_json(result)
        return
    out.print(f"Added database {result['name']!r} ({dialect}, agent mode).")
    out.print(f"Agent token: {result['agent_token']}")
    out.print(
        "It is shown only now. Inside your network run: CONEXOR_AGENT_TOKEN=... "
        f"CONEXOR_DB_URL=... conexor agent --server {server}"
    )


@app.command("tokens")
def tokens(
    name: Annotated[str, typer.Argument(help="Agent-mode database name.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    create: Annotated[
        bool, typer.Option("--create", help="Issue another token (shown once).")
    ] = False,
    revoke: Annotated[
        str | None, typer.Option("--revoke", help="Revoke this token id; its agents are cut off.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List, create or revoke agent tokens (rotate: --create, restart agents, --revoke old)."""
    with ApiClient(server, api_key) as api:
        if create:
            data = api.request("POST", f"/databases/{name}/agent-tokens")
            if as_json:
                emit_json(data)
            else:
                out.print(f"Agent token: {data['agent_token']}")
            return
        if revoke:
            data = api.request("DELETE", f"/databases/{name}/agent-tokens/{revoke}")
            if as_json:
                emit_json(data)
            else:
                out.print(f"Revoked agent token {revoke}; its agents were disconnected.")
            return
        data = api.request("GET", f"/databases/{name}/agent-tokens")
    if as_json:
        emit_json(data)
        return
    out.print(f"{data['connected']} agent(s) connected")
    table(
        f"Agent tokens of {name!r}",
        ["token id", "created", "revoked"],
        [[t["token_id"], t["created_at"], "yes" if t["revoked"] else ""] for t in data["tokens"]],
    )


def _warn_about_role(warnings: list[str], grants: list[str]) -> None:
    """Tell the user, on stderr, what the role could do beyond reading and how to fix it."""
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False)
    if warnings:
        err.print(
            "warning: use a read-only role; the sandbox is defence in depth, not a substitute. "
            "A database administrator can create one with:"
        )
        for line in grants:
            err.print(f"  {line}", markup=False)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A short name the AI will use, e.g. 'sales'.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    mode: Annotated[
        Literal["cloud", "agent"],
        typer.Option("--mode", help="cloud: encrypted upload; agent: on-premise agent."),
    ] = "cloud",
    url_stdin: Annotated[
        bool, typer.Option("--url-stdin", help="Read the connection URL from stdin.")
    ] = False,
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows", min=1, max=MAX_ROWS_LIMIT, help="Row cap per query (server default 1000)."
        ),
    ] = None,
    timeout_s: Annotated[
        int | None,
        typer.Option("--timeout", min=1, max=300, help="Query timeout in seconds (default 30)."),
    ] = None,
    dialect: Annotated[
        str | None,
        typer.Option("--dialect", help="Agent mode: postgresql, mysql or sqlite (no URL needed)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a database; in cloud mode the URL is encrypted here before upload."""
    if mode == "agent":
        _add_agent_database(server, api_key, name, dialect, max_rows, timeout_s, as_json)
        return
    url = read_url(os.environ.get("CONEXOR_DB_URL"), url_stdin)
    with ApiClient(server, api_key) as api:
        result = register_cloud_database(
            api, api_key, name, url, max_rows=max_rows, timeout_s=timeout_s
        )
    if as_json:
        emit_json(result)
        return
    _warn_about_role(result["warnings"], result["grants"])
    out.print(
        f"Added database {result['name']!r} ({result['dialect']}, {result['mode']} mode, "
        f"{result['tables']} tables). Only ciphertext and schema metadata were uploaded."
    )


@app.command("list")
def list_(server: ServerOpt, api_key: ApiKeyOpt, as_json: JsonOpt = False) -> None:
    """List the databases this key may use."""
    with ApiClient(server, api_key) as api:
        data = api.request("GET", "/databases")
    if as_json:
        emit_json(data)
        return
    table(
        "Databases",
        ["name", "dialect", "mode", "tables", "max rows", "timeout s"],
        [
            [d["name"], d["dialect"], d["mode"], d["tables"], d["max_rows"], d["timeout_s"]]
            for d in data["databases"]
        ],
    )


@app.command("share")
def share(
    name: Annotated[str, typer.Argument(help="Database name.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Let another API key of the org use this database (cloud mode: re-wrapped here).

    The other key is read from CONEXOR_SHARE_KEY or a hidden prompt, never argv.
    """
    other = os.environ.get("CONEXOR_SHARE_KEY") or (
        getpass.getpass("API key to share with (input hidden): ") if sys.stdin.isatty() else ""
    )
    if not other:
        raise CliError("no key to share with: set CONEXOR_SHARE_KEY or run in a terminal")
    with ApiClient(server, api_key) as api:
        result = share_database(api, name, parse_api_key(api_key), parse_api_key(other.strip()))
    if as_json:
        emit_json(result)
        return
    out.print(f"Database {name!r} is now usable by {len(result['key_ids'])} key(s).")


@app.command("policy")
def policy(
    name: Annotated[str, typer.Argument(help="Database name.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    from_file: Annotated[
        Path | None, typer.Option("--file", help="Replace the policy with this JSON file.")
    ] = None,
    allow_schema: Annotated[
        list[str] | None, typer.Option("--allow-schema", help="Add an allowed schema.")
    ] = None,
    allow_table: Annotated[
        list[str] | None, typer.Option("--allow-table", help="Add an allowed table (schema.table).")
    ] = None,
    deny_column: Annotated[
        list[str] | None, typer.Option("--deny-column", help="Add a denied column (table.column).")
    ] = None,
    allow_function: Annotated[
        list[str] | None,
        typer.Option("--allow-function", help="Allow a function beyond the built-in allow-list."),
    ] = None,
    max_rows: Annotated[
        int | None, typer.Option("--max-rows", min=1, max=MAX_ROWS_LIMIT, help="Row cap per query.")
    ] = None,
    max_bytes: Annotated[
        int | None, typer.Option("--max-bytes", min=1, help="Result byte cap per query.")
    ] = None,
    timeout_s: Annotated[
        float | None, typer.Option("--timeout", min=0.1, max=300, help="Query timeout in seconds.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or change a database's policy; with no options, show it."""
    with ApiClient(server, api_key) as api:
        current: dict[str, Any] = api.request("GET", f"/databases/{name}/policy")["policy"]
        changed = dict(current)
        if from_file is not None:
            try:
                changed = json.loads(from_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise CliError("the policy file could not be read as JSON") from None
        for key, values in (
            ("allowed_schemas", allow_schema),
            ("allowed_tables", allow_table),
            ("denied_columns", deny_column),
            ("extra_functions", allow_function),
        ):
            if values:
                changed[key] = sorted({*(changed.get(key) or ()), *values})
        for key, value in (
            ("max_rows", max_rows),
            ("max_bytes", max_bytes),
            ("timeout_s", timeout_s),
        ):
            if value is not None:
                changed[key] = value
        if changed != current:
            current = api.request("PUT", f"/databases/{name}/policy", json={"policy": changed})[
                "policy"
            ]
    if as_json:
        emit_json({"name": name, "policy": current})
        return
    table(
        f"Policy of {name!r}",
        ["setting", "value"],
        [
            [k, "all" if v is None else ", ".join(v) if isinstance(v, list) else v]
            for k, v in current.items()
        ],
    )


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="Database name.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Delete a database's encrypted credential and metadata from the server."""
    with ApiClient(server, api_key) as api:
        data = api.request("DELETE", f"/databases/{name}")
    if as_json:
        emit_json(data)
        return
    out.print(
        f"Removed database {name!r}. Consider rotating its password if the key may have leaked."
    )


@app.command("test")
def db_test(
    name: Annotated[str, typer.Argument(help="Database name.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Connect through the server path and warn about write privileges of the role."""
    with ApiClient(server, api_key) as api:
        data = api.request("POST", f"/databases/{name}/test")
    if as_json:
        emit_json(data)
        return
    out.print(f"Database {name!r}: connection OK ({data['dialect']}).")
    for warning in data["warnings"]:
        err.print(f"warning: {warning}")
    if data["warnings"]:
        err.print(
            "warning: use a read-only role; the sandbox is defence in depth, not a substitute."
        )
