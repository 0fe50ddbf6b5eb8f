"""Organisations, users and API-key verifiers.

The store sees only a key id, a salt and a keyed hash of each API key; the key
itself is shown once to its owner and never stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conexor.audit.chain import GENESIS
from conexor.audit.queryhash import new_query_hash_key
from conexor.store.errors import Conflict, NotFound
from conexor.store.tables import ApiKeyRow, AuditHeadRow, OrgRow, UserRow

__all__ = ["Accounts", "KeyRecord", "Principal"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from a verified API key."""

    org_id: str
    org_name: str
    user_id: str
    email: str
    key_id: str


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
        user = UserRow(id=str(uuid.uuid4()), org_id=org.id, email=email, created_at=now)
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
        return Principal(org.id, org.name, user.id, email, key_id)

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
            return Principal(org.id, org.name, user.id, user.email, key.id)

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
