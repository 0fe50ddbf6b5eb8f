"""``conexor users``: invite people to the organisation and set their roles (admins only)."""

from __future__ import annotations

from typing import Annotated

import typer

from conexor.cli.client import ApiClient, CliError
from conexor.cli.options import ApiKeyOpt, JsonOpt, ServerOpt
from conexor.cli.output import emit_json, out, table

__all__ = ["app"]

app = typer.Typer(
    help="Manage the organisation's users: admin, member (queries) or auditor (audit only).",
    no_args_is_help=True,
)

_ROLES = ("admin", "member", "auditor")
RoleOpt = Annotated[
    str, typer.Option("--role", help="admin, member (queries) or auditor (reads the audit trail).")
]


def _role(value: str) -> str:
    if value not in _ROLES:
        raise CliError(f"unknown role {value[:20]!r}; choose admin, member or auditor")
    return value


@app.command("list")
def list_(server: ServerOpt, api_key: ApiKeyOpt, as_json: JsonOpt = False) -> None:
    """The organisation's users, their roles and active keys."""
    with ApiClient(server, api_key) as api:
        data = api.request("GET", "/users")
    if as_json:
        emit_json(data)
        return
    table(
        "Users",
        ["email", "role", "active keys", "since"],
        [[u["email"], u["role"], str(u["active_keys"]), u["created_at"]] for u in data["users"]],
    )


@app.command("invite")
def invite(
    email: Annotated[str, typer.Argument(help="The new user's e-mail address.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    role: RoleOpt = "member",
    as_json: JsonOpt = False,
) -> None:
    """Add a user; their first API key is printed once, for you to hand over securely."""
    with ApiClient(server, api_key) as api:
        data = api.request("POST", "/users", json={"email": email, "role": _role(role)})
    if as_json:
        emit_json(data)
        return
    out.print(f"Invited {data['user']['email']} as {data['user']['role']}.")
    out.print(f"Their API key (shown only now): {data['api_key']}")
    out.print(
        "Hand it over out of band; they should rotate it (conexor keys rotate). "
        "It sees no database until one is shared with it (conexor db share)."
    )


@app.command("role")
def set_role(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    role: Annotated[str, typer.Argument(help="admin, member or auditor.")],
    server: ServerOpt,
    api_key: ApiKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's role (the organisation keeps at least one admin)."""
    with ApiClient(server, api_key) as api:
        data = api.request("PUT", f"/users/{email}/role", json={"role": _role(role)})
    if as_json:
        emit_json(data)
        return
    out.print(f"{data['user']['email']} is now {data['user']['role']}.")
