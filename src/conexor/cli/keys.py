"""``conexor keys``: list, create and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from conexor.cli.client import ApiClient
from conexor.cli.options import ApiKeyOpt, JsonOpt, ServerOpt
from conexor.cli.output import emit_json, out, table

__all__ = ["app"]

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@app.command("list")
def list_(server: ServerOpt, api_key: ApiKeyOpt, as_json: JsonOpt = False) -> None:
    """List the organisation's keys (ids and labels; keys themselves are never stored)."""
    with ApiClient(server, api_key) as api:
        data = api.request("GET", "/keys")
    if as_json:
        emit_json(data)
        return
    table(
        "API keys",
        ["key id", "label", "created", "revoked"],
        [
            [k["key_id"], k["label"], k["created_at"], "yes" if k["revoked"] else ""]
            for k in data["keys"]
        ],
    )


@app.command("create")
def create(
    server: ServerOpt,
    api_key: ApiKeyOpt,
    label: Annotated[str, typer.Option("--label", help="What this key is for.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Issue another key; it is printed only now."""
    with ApiClient(server, api_key) as api:
        data = api.request("POST", "/keys", json={"label": label})
    if as_json:
        emit_json(data)
        return
    out.print(f"API key: {data['api_key']}")


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after cnx_).")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a key at once. Revoking cannot unsee a password: rotate database passwords too."""
    with ApiClient(server, api_key) as api:
        data = api.request("POST", f"/keys/{key_id}/revoke")
    if as_json:
        emit_json(data)
        return
    out.print(f"Revoked key {key_id}. Rotate the passwords of databases it could open.")
