"""Drive the real ``conexor`` console script and the official MCP client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp.types import CallToolResult

from conexor.mcp.remote import connect

CONEXOR = str(Path(sys.executable).parent / "conexor")


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``conexor ARGS`` with a clean environment plus ``env``."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONEXOR_")}
    full_env.update(env or {})
    proc = subprocess.run(
        [CONEXOR, *args],
        env=full_env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"conexor {args[0]} failed ({proc.returncode}): {proc.stderr}")
    return proc


def signup(server: str, email: str = "alice@example.com") -> dict[str, Any]:
    """Sign up through the CLI and return its JSON output."""
    proc = run_cli("signup", "--server", server, "--email", email, "--org", "Acme", "--json")
    return json.loads(proc.stdout)


def add_db(
    server: str, key: str, name: str, url: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``conexor db add`` with the URL in CONEXOR_DB_URL."""
    return run_cli(
        "db",
        "add",
        name,
        "--json",
        *extra,
        env={"CONEXOR_SERVER": server, "CONEXOR_API_KEY": key, "CONEXOR_DB_URL": url},
        check=False,
    )


def call(
    server: str,
    key: str,
    tool: str,
    args: dict[str, Any],
    *,
    mode: Literal["auto", "legacy"] = "auto",
    model: str | None = None,
) -> CallToolResult:
    """One MCP tool call through the official client."""

    async def go() -> CallToolResult:
        async with connect(
            f"{server}/mcp", key, mode=mode, client_name="pytest-client", model=model
        ) as c:
            return await c.call_tool(tool, args)

    return anyio.run(go)


def text_of(result: CallToolResult) -> str:
    """The text content of a tool result."""
    return "".join(getattr(c, "text", "") for c in result.content)
