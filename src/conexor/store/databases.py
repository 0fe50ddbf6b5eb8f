"""Registered databases: sealed envelope (ciphertext only) plus schema metadata.

The server rebuilds each envelope's AAD from these rows (org id, database id,
revision), never from the envelope, so ciphertext moved between rows fails to open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, cast

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conexor.sandbox import Dialect
from conexor.store.errors import Conflict, NotFound
from conexor.store.tables import DatabaseAccessRow, DatabaseRow

__all__ = ["DatabaseRecord", "Databases", "Mode", "NewDatabase"]

Mode = Literal["cloud", "agent"]


@dataclass(frozen=True)
class NewDatabase:
    """What a client uploads to register a database."""

    id: str
    name: str
    dialect: str
    mode: str
    envelope: str | None
    schema_json: str
    policy_json: str
    key_ids: tuple[str, ...]


@dataclass(frozen=True)
class DatabaseRecord:
    """A stored database as the rest of the server sees it."""

    id: str
    org_id: str
    name: str
    dialect: Dialect
    mode: Mode
    revision: int
    envelope: str | None
    schema_json: str
    policy_json: str
    created_at: datetime


def _record(row: DatabaseRow) -> DatabaseRecord:
    return DatabaseRecord(
        row.id,
        row.org_id,
        row.name,
        cast(Dialect, row.dialect),
        cast(Mode, row.mode),
        row.revision,
        row.envelope,
        row.schema_json,
        row.policy,
        row.created_at,
    )


class Databases:
    """Register, list, find and remove databases of an organisation."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, org_id: str, user_id: str, new: NewDatabase) -> DatabaseRecord:
        """Store a new database at revision 1 with access for ``new.key_ids``."""
        now = datetime.now(UTC)
        row = DatabaseRow(
            id=new.id,
            org_id=org_id,
            name=new.name,
            dialect=new.dialect,
            mode=new.mode,
            revision=1,
            envelope=new.envelope,
            schema_json=new.schema_json,
            policy=new.policy_json,
            created_by=user_id,
            created_at=now,
            updated_at=now,
        )
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                session.add(row)
                session.flush()
                session.add_all(
                    DatabaseAccessRow(database_id=new.id, api_key_id=k) for k in new.key_ids
                )
        except IntegrityError:
            raise Conflict(f"a database named {new.name!r} already exists") from None
        return _record(row)

    def list_for_key(self, org_id: str, key_id: str) -> list[DatabaseRecord]:
        """Databases of the organisation that this key may use, by name."""
        with Session(self._engine, expire_on_commit=False) as session:
            rows = session.scalars(
                select(DatabaseRow)
                .join(DatabaseAccessRow, DatabaseAccessRow.database_id == DatabaseRow.id)
                .where(DatabaseRow.org_id == org_id, DatabaseAccessRow.api_key_id == key_id)
                .order_by(DatabaseRow.name)
            ).all()
            return [_record(r) for r in rows]

    def get_for_key(self, org_id: str, key_id: str, name: str) -> DatabaseRecord:
        """The named database if this key may use it; NotFound otherwise (no existence leak)."""
        with Session(self._engine, expire_on_commit=False) as session:
            row = session.scalars(
                select(DatabaseRow)
                .join(DatabaseAccessRow, DatabaseAccessRow.database_id == DatabaseRow.id)
                .where(
                    DatabaseRow.org_id == org_id,
                    DatabaseRow.name == name,
                    DatabaseAccessRow.api_key_id == key_id,
                )
            ).one_or_none()
            if row is None:
                raise NotFound(f"unknown database {name!r}")
            return _record(row)

    def set_policy(self, org_id: str, key_id: str, name: str, policy_json: str) -> DatabaseRecord:
        """Replace the database's policy; the caller validated it."""
        record = self.get_for_key(org_id, key_id, name)
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            row = session.get(DatabaseRow, record.id)
            if row is None:
                raise NotFound(f"unknown database {name!r}")
            row.policy = policy_json
            row.updated_at = datetime.now(UTC)
        return _record(row)

    def set_envelope(self, database_id: str, envelope: str, key_ids: tuple[str, ...]) -> None:
        """Replace the sealed envelope and, to match its wraps, which keys may use the database."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            row = session.get(DatabaseRow, database_id)
            if row is None:
                raise NotFound("unknown database")
            row.envelope = envelope
            row.updated_at = datetime.now(UTC)
            session.execute(
                delete(DatabaseAccessRow).where(DatabaseAccessRow.database_id == database_id)
            )
            session.add_all(
                DatabaseAccessRow(database_id=database_id, api_key_id=k) for k in key_ids
            )

    def with_access(self, key_id: str) -> list[DatabaseRecord]:
        """Every database a key may use (for revocation)."""
        with Session(self._engine, expire_on_commit=False) as session:
            rows = session.scalars(
                select(DatabaseRow)
                .join(DatabaseAccessRow, DatabaseAccessRow.database_id == DatabaseRow.id)
                .where(DatabaseAccessRow.api_key_id == key_id)
            ).all()
            return [_record(r) for r in rows]

    def grant_access(self, database_id: str, key_id: str) -> tuple[str, ...]:
        """Let another key use an agent-mode database; return every key that may use it.

        Cloud-mode access follows the envelope's wraps (:meth:`set_envelope`).
        """
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            if session.get(DatabaseAccessRow, (database_id, key_id)) is None:
                session.add(DatabaseAccessRow(database_id=database_id, api_key_id=key_id))
            session.flush()
            return tuple(
                session.scalars(
                    select(DatabaseAccessRow.api_key_id)
                    .where(DatabaseAccessRow.database_id == database_id)
                    .order_by(DatabaseAccessRow.api_key_id)
                ).all()
            )

    def drop_access(self, database_id: str, key_id: str) -> None:
        """Take a key's access to a database away."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            session.execute(
                delete(DatabaseAccessRow).where(
                    DatabaseAccessRow.database_id == database_id,
                    DatabaseAccessRow.api_key_id == key_id,
                )
            )

    def set_schema(self, database_id: str, schema_json: str) -> None:
        """Replace the schema metadata (an agent re-introspected its database)."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            row = session.get(DatabaseRow, database_id)
            if row is None:
                raise NotFound("unknown database")
            row.schema_json = schema_json
            row.updated_at = datetime.now(UTC)

    def get_by_id(self, database_id: str) -> DatabaseRecord:
        """The database with this id (for agents, which authenticate per database)."""
        with Session(self._engine, expire_on_commit=False) as session:
            row = session.get(DatabaseRow, database_id)
            if row is None:
                raise NotFound("unknown database")
            return _record(row)

    def remove(self, org_id: str, key_id: str, name: str) -> DatabaseRecord:
        """Delete the database, its envelope and its access rows."""
        record = self.get_for_key(org_id, key_id, name)
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            session.execute(
                delete(DatabaseAccessRow).where(DatabaseAccessRow.database_id == record.id)
            )
            session.execute(delete(DatabaseRow).where(DatabaseRow.id == record.id))
        return record
