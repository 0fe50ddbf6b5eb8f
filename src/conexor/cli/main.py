"""The ``conexor`` command: one typer app, one module per command group.

Every command's errors end here: a ``ConexorError`` prints its one-line public
message; anything else prints ``internal error (ref …)`` and never a traceback
that could carry a secret.
"""

from __future__ import annotations

import secrets
import sys

import typer

from conexor import __version__
from conexor.cli import audit, db, keys, selfcheck, store, tools, users
from conexor.cli.agent import agent_command
from conexor.cli.bridge import bridge_command
from conexor.cli.demo import demo_command
from conexor.cli.forward import forward_command
from conexor.cli.output import err
from conexor.cli.server import server_command
from conexor.cli.signup import signup_command
from conexor.errors import ConexorError

__all__ = ["app", "main"]

app = typer.Typer(
    name="conexor",
    help="Let AI assistants query SQL databases through MCP, with zero credential exposure.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("server")(server_command)
app.command("signup")(signup_command)
app.command("demo")(demo_command)
app.command("stdio")(bridge_command)
app.command("bridge", hidden=True)(bridge_command)  # earlier name of `stdio`
app.command("agent")(agent_command)
app.add_typer(db.app, name="db")
audit.app.command("forward")(forward_command)  # `conexor audit forward`
app.add_typer(audit.app, name="audit")
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(tools.app, name="tools")
app.add_typer(store.app, name="store")
app.command("migrate")(store.migrate_command)  # `conexor migrate`, as deployments expect
app.add_typer(selfcheck.app, name="selfcheck")


@app.command("version")
def version() -> None:
    """Print the version."""
    print(__version__)


def main() -> None:
    """Entry point: run the app and turn errors into one safe line and exit status 1."""
    try:
        app()
    except ConexorError as exc:
        err.print(f"error: {exc.public}", markup=False)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the last-line handler: a traceback could carry a secret
        ref = secrets.token_hex(3)
        err.print(f"error: internal error (ref {ref}): {type(exc).__name__}")
        sys.exit(1)
