"""``conexor demo``: the whole product on one machine in one command.

Starts a server on the embedded store, signs up a demo account, adds a bundled
sample shop database through the same encrypt-then-upload path as
``conexor db add``, makes real MCP calls, prints their audit records and the
configuration to paste into an AI client, then keeps serving until Ctrl-C.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer

from conexor.cli.audit import fetch_records
from conexor.cli.client import ApiClient, CliError
from conexor.cli.db import register_cloud_database
from conexor.cli.output import out, table
from conexor.config import Settings
from conexor.sample import build_sample_database

if TYPE_CHECKING:
    import uvicorn

__all__ = ["client_configs", "demo_command"]

DEMO_CALLS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("list_databases", {}),
    ("list_tables", {"database": "shop"}),
    ("describe_table", {"database": "shop", "table": "orders"}),
    (
        "query",
        {
            "database": "shop",
            "sql": "SELECT c.country, COUNT(*) AS orders, ROUND(SUM(o.total), 2) AS revenue "
            "FROM orders o JOIN customers c ON c.id = o.customer_id "
            "GROUP BY c.country ORDER BY revenue DESC",
            "max_rows": 5,
        },
    ),
    ("query", {"database": "shop", "sql": "DELETE FROM orders"}),
)


def client_configs(base_url: str, api_key: str) -> dict[str, Any]:
    """MCP client configuration for Claude Desktop, Cursor and VS Code."""
    mcp_url = f"{base_url}/mcp"
    return {
        "Claude Desktop (claude_desktop_config.json)": {
            "mcpServers": {
                "conexor": {
                    "command": "conexor",
                    "args": ["stdio", "--server", base_url],
                    "env": {"CONEXOR_API_KEY": api_key},
                }
            }
        },
        "Cursor (~/.cursor/mcp.json)": {
            "mcpServers": {
                "conexor": {"url": mcp_url, "headers": {"Authorization": f"Bearer {api_key}"}}
            }
        },
        "VS Code (.vscode/mcp.json)": {
            "inputs": [
                {
                    "type": "promptString",
                    "id": "conexor-key",
                    "description": "conexor API key",
                    "password": True,
                }
            ],
            "servers": {
                "conexor": {
                    "type": "http",
                    "url": mcp_url,
                    "headers": {"Authorization": "Bearer ${input:conexor-key}"},
                }
            },
        },
    }


def _start(settings: Settings) -> tuple[uvicorn.Server, threading.Thread]:
    import uvicorn

    from conexor.server.app import create_app

    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="conexor-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise CliError(f"the demo server could not start on {settings.host}:{settings.port}")
        time.sleep(0.05)
    return server, thread


async def _calls(mcp_url: str, api_key: str) -> list[tuple[str, dict[str, Any], Any]]:
    from conexor.mcp.remote import connect

    results = []
    async with connect(mcp_url, api_key, client_name="conexor-demo", model="demo-script") as client:
        for name, args in DEMO_CALLS:
            results.append((name, args, await client.call_tool(name, args)))
    return results


def demo_command(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where to keep the demo store (default: a new temp dir)."),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", help="Port for the demo server (0: any free port).")
    ] = 8080,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving after the tour.")
    ] = True,
) -> None:
    """Run a server with a sample database, make real MCP calls, show their audit records."""
    directory = data_dir or Path(tempfile.mkdtemp(prefix="conexor-demo-"))
    sample = directory / "sample" / "shop.db"
    if not sample.exists():
        sample.parent.mkdir(parents=True, exist_ok=True)
        build_sample_database(sample)
    settings = Settings.build(
        data_dir=directory / "server", port=port, sqlite_dirs=(sample.parent,)
    )
    server, thread = _start(settings)
    port = server.servers[0].sockets[0].getsockname()[1]  # the real one, also for --port 0
    base_url = f"http://{settings.host}:{port}"
    try:
        out.print(f"[bold]conexor demo[/bold] — server on {base_url}, data in {directory}")
        with ApiClient(base_url) as api:
            account = api.request(
                "POST",
                "/signup",
                json={"email": f"demo-{int(time.time())}@example.com", "org": "Demo Shop"},
            )
        api_key = account["api_key"]
        with ApiClient(base_url, api_key) as api:
            register_cloud_database(api, api_key, "shop", f"sqlite:///{sample}")
            out.print(
                "Added database 'shop': the URL was encrypted here; "
                "the server stored only ciphertext.\n"
            )
            for name, args, result in anyio.run(_calls, f"{base_url}/mcp", api_key):
                shown = json.dumps(args)[:100]
                status = "[red]error[/red]" if result.is_error else "[green]ok[/green]"
                out.print(f"[bold]{name}[/bold] {shown} -> {status}")
                out.print(result.content[0].text if result.content else "", markup=False)
                out.print()
            records = list(fetch_records(api))
        out.print(f"\nAudit records of these calls by {account['user']['email']} (never the rows):")
        table(
            "",
            ["seq", "time", "model", "tool", "outcome", "rows", "ms", "query hash", "record hash"],
            [
                [
                    r.seq,
                    r.ts.strftime("%H:%M:%S"),
                    r.model,
                    r.tool,
                    r.outcome,
                    r.row_count,
                    f"{r.duration_us / 1000:.1f}",
                    (r.query_hash or "")[:8],
                    r.record_hash[:8],
                ]
                for r in records
            ],
        )
        out.print("\n[bold]Connect an AI client[/bold] (this demo key works until the demo stops):")
        for title, config in client_configs(base_url, api_key).items():
            out.print(f"\n{title}:")
            out.print(json.dumps(config, indent=2), markup=False)
        out.print(
            "\nExport the trail: CONEXOR_API_KEY=... "
            f"conexor audit export --server {base_url} --format csv"
        )
        if serve:
            out.print("\nServing; press Ctrl-C to stop.")
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        out.print("\nstopping")
    finally:
        server.should_exit = True
        thread.join(10)
