"""REST routes for an organisation's users and their roles (admins only, see ``roles``).

Inviting creates the user with a first API key, shown once in the reply: the
admin hands it over out of band, and the user rotates it on first use. The
key sees no database until one is shared with it.
"""

# No "from __future__ import annotations": FastAPI must see the Caller alias at runtime.

import re
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from conexor.crypto import generate_api_key, make_verifier
from conexor.server.auth import Authenticated
from conexor.server.errors import BadRequest
from conexor.store import Accounts, UserRecord

__all__ = ["build_users_router"]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class InviteIn(BaseModel):
    email: str = Field(max_length=320)
    role: Literal["admin", "member", "auditor"] = "member"


class RoleIn(BaseModel):
    role: Literal["admin", "member", "auditor"]


def _user(u: UserRecord) -> dict[str, Any]:
    return {
        "user_id": u.user_id,
        "email": u.email,
        "role": u.role,
        "created_at": u.created_at.isoformat(),
        "active_keys": u.active_keys,
    }


def build_users_router(accounts: Accounts, pepper: bytes, caller: Any) -> APIRouter:
    """The ``/api/v1/users`` routes; ``caller`` authenticates and applies the role table."""
    router = APIRouter(prefix="/api/v1/users")
    Caller = Annotated[Authenticated, Depends(caller)]

    @router.get("")
    async def list_users(who: Caller) -> dict[str, Any]:
        """The organisation's users, roles and how many active keys each holds."""
        users = await anyio.to_thread.run_sync(accounts.users_of, who.principal)
        return {"users": [_user(u) for u in users]}

    @router.post("", status_code=201)
    async def invite(who: Caller, body: InviteIn) -> dict[str, Any]:
        """Add a user with a role; their first API key is in this reply only."""
        email = body.email.strip().lower()
        if not _EMAIL.match(email):
            raise BadRequest("email must look like name@example.com")
        key = generate_api_key()
        verifier = make_verifier(key, pepper)
        user = await anyio.to_thread.run_sync(
            lambda: accounts.invite(
                who.principal,
                email=email,
                role=body.role,
                key_id=key.key_id,
                salt=verifier.salt,
                digest=verifier.digest,
            )
        )
        return {"user": _user(user), "api_key": key.text, "key_id": key.key_id}

    @router.put("/{email}/role")
    async def set_role(who: Caller, email: str, body: RoleIn) -> dict[str, Any]:
        """Change a user's role; the organisation keeps at least one admin."""
        user = await anyio.to_thread.run_sync(
            accounts.set_role, who.principal, email.strip().lower(), body.role
        )
        return {"user": {"user_id": user.user_id, "email": user.email, "role": user.role}}

    return router
