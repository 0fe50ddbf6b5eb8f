"""``conexor tools``: named and generated tools, toolsets, Toolbox import and the token budget."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from conexor.bounds import GENERATED_TOOLS_DEFAULT_CAP as DEFAULT_CAP
from conexor.bounds import GENERATED_TOOLS_MAX_CAP as MAX_CAP
from conexor.cli.client import ApiClient, CliError
from conexor.cli.options import ApiKeyOpt, JsonOpt, ServerOpt
from conexor.cli.output import emit_json, err, out, table

__all__ = ["app"]

app = typer.Typer(
    help="Manage named and generated tools, and the toolsets API keys are limited to.",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path,
    typer.Option(
        "--file", "-f", exists=True, dir_okay=False, readable=True, help="A tools YAML file."
    ),
]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise CliError(f"cannot read {path.name} as UTF-8 text") from None


@app.command("add")
def add(file: FileArg, server: ServerOpt, api_key: ApiKeyOpt, as_json: JsonOpt = False) -> None:
    """Add or replace the tools of a YAML file; each statement is checked by the sandbox first."""
    with ApiClient(server, api_key) as api:
        data = api.request("POST", "/tools", json={"yaml": _read(file)})
    if as_json:
        emit_json(data)
        return
    out.print(f"Added {len(data['added'])} tool(s): {', '.join(data['added'])}", markup=False)


@app.command("list")
def list_(server: ServerOpt, api_key: ApiKeyOpt, as_json: JsonOpt = False) -> None:
    """List the tools this key sees: built-in, named and generated."""
    with ApiClient(server, api_key) as api:
        data = api.request("GET", "/tools")
    if as_json:
        emit_json(data)
        return
    table(
        "Tools",
        ["name", "kind", "database", "toolsets"],
        [[t["name"], t["kind"], t["database"], ", ".join(t["toolsets"])] for t in data["tools"]],
    )
    if data["key_toolsets"]:
        out.print(f"This key is limited to: {', '.join(data['key_toolsets'])}", markup=False)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Tool name.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Show one tool: description, definition and the JSON Schema of its arguments."""
    with ApiClient(server, api_key) as api:
        data = api.request("GET", f"/tools/{name}")
    if as_json:
        emit_json(data)
        return
    out.print(f"{data['name']} ({data['kind']}, database {data['database']})", markup=False)
    out.print(data["description"], markup=False)
    if "definition" in data:
        out.print(yaml.safe_dump(data["definition"], sort_keys=False).rstrip(), markup=False)
    if "example_sql" in data:
        out.print(f"Statement shape: {data['example_sql']}", markup=False)


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="Tool name.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Remove a named or generated tool; connected MCP clients are told at once."""
    with ApiClient(server, api_key) as api:
        data = api.request("DELETE", f"/tools/{name}")
    if as_json:
        emit_json(data)
        return
    out.print(f"Removed {', '.join(data['removed'])}.", markup=False)


@app.command("generate")
def generate(
    database: Annotated[str, typer.Argument(help="Database name.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    tables: Annotated[
        list[str] | None, typer.Option("--table", "-t", help="A table (repeat for more).")
    ] = None,
    all_tables: Annotated[
        bool, typer.Option("--all", help="Every visible table, up to --cap.")
    ] = False,
    cap: Annotated[
        int, typer.Option("--cap", min=1, max=MAX_CAP, help="At most this many tools.")
    ] = DEFAULT_CAP,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", help="TABLE.COLUMN to filter on besides key columns (repeat)."),
    ] = None,
    toolsets: Annotated[
        list[str] | None, typer.Option("--toolset", help="Put the tools in this toolset.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate find_<table> tools from schema metadata (no rows, no model involved)."""
    by_table: dict[str, list[str]] = {}
    for item in filters or []:
        table_name, dot, column = item.rpartition(".")
        if not dot or not table_name or not column:
            raise CliError("--filter takes TABLE.COLUMN")
        by_table.setdefault(table_name, []).append(column)
    body: dict[str, Any] = {
        "database": database,
        "tables": tables or [],
        "all": all_tables,
        "cap": cap,
        "filters": by_table,
        "toolsets": toolsets or [],
    }
    with ApiClient(server, api_key) as api:
        data = api.request("POST", "/tools/generate", json=body)
    if as_json:
        emit_json(data)
        return
    out.print(f"Generated {len(data['added'])} tool(s): {', '.join(data['added'])}", markup=False)
    if data["skipped"]:
        err.print(
            f"Skipped {len(data['skipped'])} table(s) over the cap or with clashing names;"
            " the AI can still find them with search_schema.",
            markup=False,
        )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="tools.yaml")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    source_format: Annotated[
        str, typer.Option("--from", help="Format of the file (toolbox: Google MCP Toolbox).")
    ] = "toolbox",
    maps: Annotated[
        list[str] | None,
        typer.Option("--map", help="SOURCE=DATABASE: the conexor database for a Toolbox source."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the converted tools file; upload nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a Google MCP Toolbox tools.yaml; its sources (credentials) are never uploaded."""
    if source_format != "toolbox":
        raise CliError("--from supports: toolbox")
    mapping: dict[str, str] = {}
    for item in maps or []:
        source, eq, database = item.partition("=")
        if not eq or not source or not database:
            raise CliError("--map takes SOURCE=DATABASE")
        mapping[source] = database
    from conexor.tools.toolbox import convert_toolbox  # the SQL parser, only when importing

    report = convert_toolbox(_read(file), mapping)
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False)
    added: list[str] = []
    refused = list(report.unsupported)
    if dry_run:
        tools = {d["name"]: {k: v for k, v in d.items() if k != "name"} for d in report.definitions}
        sys.stdout.write(yaml.safe_dump({"tools": tools}, sort_keys=False))
    else:
        with ApiClient(server, api_key) as api:
            for definition in report.definitions:
                try:
                    api.request("POST", "/tools", json={"tools": [definition]})
                    added.append(definition["name"])
                except CliError as exc:
                    refused.append(exc.public)
    for item in refused:
        err.print(f"not imported: {item}", markup=False)
    if as_json and not dry_run:
        emit_json({"added": added, "not_imported": refused, "warnings": report.warnings})
    elif not dry_run:
        out.print(f"Imported {len(added)} tool(s): {', '.join(added) or 'none'}", markup=False)
    if not dry_run and not added:
        raise typer.Exit(1)


@app.command("budget")
def budget(server: ServerOpt, api_key: ApiKeyOpt, as_json: JsonOpt = False) -> None:
    """Estimate the tokens this key's tool list costs an AI client (see docs/tools.md)."""
    with ApiClient(server, api_key) as api:
        data = api.request("GET", "/tools/budget")
    if as_json:
        emit_json(data)
        return
    table(
        "Tool list budget",
        ["tool", "chars", "~tokens"],
        [[t["name"], t["chars"], t["tokens"]] for t in data["tools"]],
    )
    out.print(
        f"{data['tool_count']} tools, {data['total_chars']} characters,"
        f" about {data['total_tokens']} tokens ({data['method']}).",
        markup=False,
    )


@app.command("limit-key")
def limit_key(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after cnx_).")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    toolsets: Annotated[
        list[str] | None,
        typer.Option("--toolset", help="Allowed toolset (repeat; 'builtin' = built-in tools)."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Lift the limit.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Limit an API key to toolsets: its MCP clients see and call only those tools."""
    if clear == bool(toolsets):
        raise CliError("give --toolset (one or more) or --clear")
    with ApiClient(server, api_key) as api:
        data = api.request("PUT", f"/keys/{key_id}/toolsets", json={"toolsets": toolsets or []})
    if as_json:
        emit_json(data)
        return
    if data["toolsets"]:
        out.print(f"Key {key_id} is limited to: {', '.join(data['toolsets'])}", markup=False)
    else:
        out.print(f"Key {key_id} sees every tool.", markup=False)
