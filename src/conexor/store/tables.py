"""The store's tables. Nothing here holds a usable secret.

``api_keys`` holds a key id, a salt and a keyed hash; ``databases`` holds the
sealed envelope (ciphertext) and schema metadata, never a connection string;
``audit_records`` is append-only (enforced by triggers in the migration).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AgentTokenRow",
    "ApiKeyRow",
    "AuditCheckpointRow",
    "AuditHeadRow",
    "AuditRow",
    "Base",
    "DatabaseAccessRow",
    "DatabaseRow",
    "KeyToolsetRow",
    "OrgRow",
    "ToolRow",
    "UserRow",
]


class Base(DeclarativeBase):
    """Declarative base for every store table."""


class OrgRow(Base):
    __tablename__ = "orgs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    query_hash_key: Mapped[bytes] = mapped_column(LargeBinary(32))


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DatabaseRow(Base):
    __tablename__ = "databases"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_databases_org_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    dialect: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(Integer)
    envelope: Mapped[str | None] = mapped_column(Text, nullable=True)
    schema_json: Mapped[str] = mapped_column(Text)
    policy: Mapped[str] = mapped_column(Text, server_default="{}")
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DatabaseAccessRow(Base):
    """Which API keys hold a wrap of a database's data key (and so may use it)."""

    __tablename__ = "database_access"

    database_id: Mapped[str] = mapped_column(
        ForeignKey("databases.id", ondelete="CASCADE"), primary_key=True
    )
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)


class AuditHeadRow(Base):
    """The head of each org's chain: the row locked while appending, so appends never fork."""

    __tablename__ = "audit_heads"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))


class AuditRow(Base):
    __tablename__ = "audit_records"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ts: Mapped[str] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRow(Base):
    """A signed checkpoint as issued: its full text, append-only."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    size: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)


class AgentTokenRow(Base):
    """An agent token's verifier: id, salt, keyed hash — never the token."""

    __tablename__ = "agent_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    database_id: Mapped[str] = mapped_column(
        ForeignKey("databases.id", ondelete="CASCADE"), index=True
    )
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ToolRow(Base):
    """A named or generated tool: its definition (JSON) and the toolsets it belongs to.

    A generated tool stores only what was selected (table, filter columns);
    its statement is rebuilt from the current schema and policy on every use.
    """

    __tablename__ = "tools"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_tools_org_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    database_id: Mapped[str] = mapped_column(
        ForeignKey("databases.id", ondelete="CASCADE"), index=True
    )
    definition: Mapped[str] = mapped_column(Text)
    toolsets: Mapped[str] = mapped_column(Text, default="[]")
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KeyToolsetRow(Base):
    """The toolsets an API key is limited to; a key without rows sees every tool."""

    __tablename__ = "key_toolsets"

    api_key_id: Mapped[str] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    toolset: Mapped[str] = mapped_column(String(64), primary_key=True)
