"""``conexor agent``: run the on-premise agent for one agent-mode database."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import anyio
import typer

from conexor.cli.client import CliError
from conexor.cli.options import ServerOpt

__all__ = ["agent_command"]


def agent_command(
    server: ServerOpt,
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="CONEXOR_AGENT_TOKEN",
            help="Agent token from `conexor db add --mode agent` (prefer the environment).",
            show_envvar=True,
            show_default=False,
        ),
    ],
    url_file: Annotated[
        Path | None,
        typer.Option(
            "--url-file", help="Read the connection URL from this file (else CONEXOR_DB_URL)."
        ),
    ] = None,
    reintrospect: Annotated[
        float, typer.Option("--reintrospect", min=5, help="Seconds between schema re-reads.")
    ] = 300.0,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="CA bundle for a server with a private CA.")
    ] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="Local policy JSON that tightens (never loosens) the server's."
        ),
    ] = None,
    transport: Annotated[
        str,
        typer.Option(
            "--transport", help="websocket, or poll (long-poll HTTPS through proxies, HTTPS_PROXY)."
        ),
    ] = "websocket",
    audit_file: Annotated[
        Path | None,
        typer.Option("--audit-file", help="Keep a local hash-chained log of the jobs run here."),
    ] = None,
) -> None:
    """Connect out to the server and serve read-only jobs; the URL never leaves this host."""
    from conexor.agent.runner import AgentConfig, run_agent
    from conexor.hardening import make_undumpable
    from conexor.logs import configure_logging
    from conexor.sandbox import Policy

    if url_file is not None:
        try:
            url = url_file.read_text(encoding="utf-8").strip()
        except OSError:
            raise CliError("could not read the connection URL file") from None
    else:
        url = os.environ.get("CONEXOR_DB_URL", "").strip()
    if not url:
        raise CliError("no connection URL: set CONEXOR_DB_URL or pass --url-file")
    if transport not in ("websocket", "poll"):
        raise CliError("--transport must be websocket or poll")
    local_policy = None
    if policy_file is not None:
        try:
            local_policy = Policy.from_json(json.loads(policy_file.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            raise CliError("the local policy file could not be read as JSON") from None
    configure_logging()
    make_undumpable()
    config = AgentConfig(
        server=server,
        token=token,
        database_url=url,
        reintrospect_s=reintrospect,
        ca_file=ca_file,
        local_policy=local_policy,
        job_log=audit_file,
        transport="poll" if transport == "poll" else "websocket",
    )
    try:
        anyio.run(run_agent, config)
    except KeyboardInterrupt:
        return
