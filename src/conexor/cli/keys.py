"""``conexor keys``: list, create and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from conexor.cli.client import ApiClient
from conexor.cli.options import ApiKeyOpt, JsonOpt, ServerOpt
from conexor.cli.output import emit_json, out, table
from conexor.cli.sharing import share_database
from conexor.crypto import parse_api_key

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


@app.command("rotate")
def rotate(
    server: ServerOpt,
    api_key: ApiKeyOpt,
    label: Annotated[str, typer.Option("--label", help="What the new key is for.")] = "rotated",
    as_json: JsonOpt = False,
) -> None:
    """Replace this key: new key, re-wrap every database here, then revoke the old key."""
    old = parse_api_key(api_key)
    with ApiClient(server, api_key) as api:
        created = api.request("POST", "/keys", json={"label": label})
        new = parse_api_key(created["api_key"])
        moved = []
        for database in api.request("GET", "/databases")["databases"]:
            share_database(api, database["name"], old, new, database["mode"])
            moved.append(database["name"])
    with ApiClient(server, new.text) as api:
        api.request("POST", f"/keys/{old.key_id}/revoke")
    if as_json:
        emit_json(
            {"api_key": new.text, "key_id": new.key_id, "databases": moved, "revoked": old.key_id}
        )
        return
    out.print(f"New API key: {new.text}")
    out.print(
        f"Re-wrapped {len(moved)} database(s) for it and revoked key {old.key_id}. "
        "Revoking cannot unsee a password: rotate database passwords if the old key leaked."
    )
