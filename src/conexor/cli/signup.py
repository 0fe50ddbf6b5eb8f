"""``conexor signup``: create an organisation and print its first API key, once."""

from __future__ import annotations

from typing import Annotated

import typer

from conexor.cli.client import ApiClient
from conexor.cli.options import JsonOpt, ServerOpt
from conexor.cli.output import emit_json, out

__all__ = ["signup_command"]


def signup_command(
    server: ServerOpt,
    email: Annotated[str, typer.Option("--email", help="Your email address.")],
    org: Annotated[str | None, typer.Option("--org", help="Organisation name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an organisation and its first user; the API key is printed only now."""
    with ApiClient(server) as api:
        data = api.request("POST", "/signup", json={"email": email, "org": org})
    if as_json:
        emit_json(data)
        return
    out.print(f"Organisation: {data['org']['name']} ({data['org']['id']})")
    out.print(f"User:         {data['user']['email']}")
    out.print(f"API key:      {data['api_key']}")
    out.print(
        "Keep this key safe: it is shown only once, the server cannot recover it, and it is the "
        "only way to decrypt the connection strings you add. Use it via CONEXOR_API_KEY."
    )
