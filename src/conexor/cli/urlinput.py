"""Read a connection URL without it ever touching argv.

Order: ``CONEXOR_DB_URL`` (read by typer's envvar in the command), ``--url-stdin``,
then a no-echo prompt.
"""

from __future__ import annotations

import getpass
import sys

from conexor.cli.client import CliError

__all__ = ["read_url"]


def read_url(from_env: str | None, from_stdin: bool) -> str:
    """The connection URL from the environment, stdin or a prompt, stripped."""
    if from_env:
        url = from_env
    elif from_stdin:
        url = sys.stdin.readline()
    elif sys.stdin.isatty():
        url = getpass.getpass("Connection URL (input hidden): ")
    else:
        raise CliError(
            "no connection URL: set CONEXOR_DB_URL, pass --url-stdin, or run in a terminal"
        )
    url = url.strip()
    if not url:
        raise CliError("the connection URL is empty")
    return url
