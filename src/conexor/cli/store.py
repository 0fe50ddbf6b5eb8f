"""``conexor store``: prepare the server's store as its owner."""

from __future__ import annotations

from typing import Annotated

import typer

from conexor.cli.output import out

__all__ = ["app"]

app = typer.Typer(
    help="Prepare the server's store (run as the store's owner).", no_args_is_help=True
)


@app.command("migrate")
def migrate_command(
    store_url: Annotated[
        str,
        typer.Option(
            "--store-url",
            envvar="CONEXOR_STORE_URL",
            help="SQLAlchemy URL of the store (as its owner).",
        ),
    ],
    app_role: Annotated[
        str | None,
        typer.Option(
            "--app-role",
            help="PostgreSQL role the server will run as: insert-only on the audit tables.",
        ),
    ] = None,
) -> None:
    """Bring the store to the newest schema; optionally set up the server's restricted role."""
    from conexor.store import migrate, open_store_engine
    from conexor.store.roles import grant_app_role

    engine = open_store_engine(store_url)
    try:
        migrate(engine)
        if app_role:
            grant_app_role(engine, app_role)
    finally:
        engine.dispose()
    out.print(
        "store migrated"
        + (f"; role {app_role} is insert-only on the audit tables" if app_role else "")
    )
