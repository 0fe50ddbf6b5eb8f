"""Options shared by every command that talks to a server."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["ApiKeyOpt", "JsonOpt", "ServerOpt"]

ServerOpt = Annotated[
    str,
    typer.Option("--server", envvar="CONEXOR_SERVER", help="conexor server URL.", show_envvar=True),
]
ApiKeyOpt = Annotated[
    str,
    typer.Option(
        "--api-key",
        envvar="CONEXOR_API_KEY",
        help="API key (prefer the environment variable: argv is visible to other users).",
        show_envvar=True,
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
