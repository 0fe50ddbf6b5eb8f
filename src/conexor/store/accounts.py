"""Organisations, users and API-key verifiers.

The store sees only a key id, a salt and a keyed hash of each API key; the key
itself is shown once to its owner and never stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, cast, get_args

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conexor.audit.chain import GENESIS
from conexor.audit.queryhash import new_query_hash_key
from conexor.store.errors import Conflict, NotFound
from conexor.store.tables import ApiKeyRow, AuditHeadRow, OrgRow, UserRow

__all__ = ["ROLES", "Accounts", "KeyRecord", "Principal", "Role", "UserRecord"]

Role = Literal["admin", "member", "auditor"]
#: admin manages databases, tools, keys and users; member queries; auditor reads the audit trail.
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from a verified API key."""

    org_id: str
    org_name: str
    user_id: str
    email: str
    key_id: str
    role: Role


@dataclass(frozen=True)
class UserRecord:
    """A user of an organisation, as the admin sees it."""

    user_id: str
    email: str
    role: Role
    created_at: datetime
    active_keys: int


@dataclass(frozen=True)
class KeyRecord:
    """A stored API-key verifier and its owner."""

    key_id: str
    org_id: str
    user_id: str
    salt: bytes
    digest: bytes
    label: str
    created_at: datetime
    revoked_at: datetime | None


class Accounts:
    """Create and look up organisations, users and key verifiers."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create_org_with_user(
        self, *, org_name: str, email: str, key_id: str, salt: bytes, digest: bytes
    ) -> Principal:
        """Create an organisation, its first user and that user's first key, atomically."""
        now = datetime.now(UTC)
        org = OrgRow(
            id=str(uuid.uuid4()), name=org_name, created_at=now, query_hash_key=new_query_hash_key()
        )
        user = UserRow(
            id=str(uuid.uuid4()), org_id=org.id, email=email, created_at=now, role="admin"
        )
        key = ApiKeyRow(
            id=key_id,
            org_id=org.id,
            user_id=user.id,
            salt=salt,
            digest=digest,
            label="first key",
            created_at=now,
        )
        head = AuditHeadRow(org_id=org.id, seq=0, head_hash=GENESIS)
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                session.add(org)
                session.flush()
                session.add(user)
                session.flush()
                session.add_all([key, head])
        except IntegrityError:
            raise Conflict("an account with this email already exists") from None
        return Principal(org.id, org.name, user.id, email, key_id, "admin")

    def add_key(
        self, principal: Principal, *, key_id: str, salt: bytes, digest: bytes, label: str
    ) -> None:
        """Store another key verifier for the calling user."""
        row = ApiKeyRow(
            id=key_id,
            org_id=principal.org_id,
            user_id=principal.user_id,
            salt=salt,
            digest=digest,
            label=label,
            created_at=datetime.now(UTC),
        )
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            session.add(row)

    def key(self, key_id: str) -> KeyRecord | None:
        """Return the verifier for ``key_id``, or None."""
        with Session(self._engine, expire_on_commit=False) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                return None
            return KeyRecord(
                row.id,
                row.org_id,
                row.user_id,
                row.salt,
                row.digest,
                row.label,
                row.created_at,
                row.revoked_at,
            )

    def principal(self, key_id: str) -> Principal:
        """Resolve the owner of a (verified) key."""
        with Session(self._engine, expire_on_commit=False) as session:
            found = session.execute(
                select(ApiKeyRow, UserRow, OrgRow)
                .join(UserRow, UserRow.id == ApiKeyRow.user_id)
                .join(OrgRow, OrgRow.id == ApiKeyRow.org_id)
                .where(ApiKeyRow.id == key_id)
            ).one_or_none()
            if found is None:
                raise NotFound("unknown API key")
            key, user, org = found
            return Principal(org.id, org.name, user.id, user.email, key.id, cast(Role, user.role))

    def keys_of(self, principal: Principal) -> list[KeyRecord]:
        """Every key of the caller's organisation, revoked ones included."""
        with Session(self._engine, expire_on_commit=False) as session:
            rows = session.scalars(
                select(ApiKeyRow)
                .where(ApiKeyRow.org_id == principal.org_id)
                .order_by(ApiKeyRow.created_at)
            ).all()
            return [
                KeyRecord(
                    r.id, r.org_id, r.user_id, r.salt, r.digest, r.label, r.created_at, r.revoked_at
                )
                for r in rows
            ]

    def query_hash_key(self, org_id: str) -> bytes:
        """The organisation's secret key for audit query hashes (cached by the caller)."""
        with Session(self._engine, expire_on_commit=False) as session:
            row = session.get(OrgRow, org_id)
            if row is None:
                raise NotFound("unknown organisation")
            return row.query_hash_key

    def revoke(self, principal: Principal, key_id: str) -> None:
        """Mark a key of the caller's organisation revoked; it stops working at once."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            row = session.get(ApiKeyRow, key_id)
            if row is None or row.org_id != principal.org_id:
                raise NotFound(f"no API key with id {key_id!r} in this organisation")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)

    def invite(
        self,
        principal: Principal,
        *,
        email: str,
        role: Role,
        key_id: str,
        salt: bytes,
        digest: bytes,
    ) -> UserRecord:
        """Add a user to the caller's organisation with a first key (shown once to the admin)."""
        now = datetime.now(UTC)
        user = UserRow(
            id=str(uuid.uuid4()), org_id=principal.org_id, email=email, created_at=now, role=role
        )
        key = ApiKeyRow(
            id=key_id,
            org_id=principal.org_id,
            user_id=user.id,
            salt=salt,
            digest=digest,
            label=f"invited by {principal.email}"[:200],
            created_at=now,
        )
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                session.add(user)
                session.flush()
                session.add(key)
        except IntegrityError:
            raise Conflict("an account with this email already exists") from None
        return UserRecord(user.id, email, role, now, 1)

    def users_of(self, principal: Principal) -> list[UserRecord]:
        """The organisation's users with their roles and how many active keys each has."""
        active = (
            select(ApiKeyRow.user_id, func.count().label("n"))
            .where(ApiKeyRow.revoked_at.is_(None))
            .group_by(ApiKeyRow.user_id)
            .subquery()
        )
        with Session(self._engine, expire_on_commit=False) as session:
            rows = session.execute(
                select(UserRow, active.c.n)
                .outerjoin(active, active.c.user_id == UserRow.id)
                .where(UserRow.org_id == principal.org_id)
                .order_by(UserRow.created_at)
            ).all()
            return [
                UserRecord(u.id, u.email, cast(Role, u.role), u.created_at, int(n or 0))
                for u, n in rows
            ]

    def set_role(self, principal: Principal, email: str, role: Role) -> UserRecord:
        """Change a user's role; the organisation always keeps at least one admin."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            user = session.scalars(
                select(UserRow)
                .where(UserRow.org_id == principal.org_id, UserRow.email == email)
                .with_for_update()
            ).one_or_none()
            if user is None:
                raise NotFound(f"no user {email!r} in this organisation")
            if user.role == "admin" and role != "admin":
                admins = session.scalar(
                    select(func.count())
                    .select_from(UserRow)
                    .where(UserRow.org_id == principal.org_id, UserRow.role == "admin")
                )
                if (admins or 0) <= 1:
                    raise Conflict("the organisation must keep at least one admin")
            user.role = role
            return UserRecord(user.id, user.email, role, user.created_at, 0)

    def key_owner(self, principal: Principal, key_id: str) -> str | None:
        """The user id owning ``key_id`` in the caller's organisation, or None."""
        record = self.key(key_id)
        if record is None or record.org_id != principal.org_id:
            return None
        return record.user_id
