"""Stored tools of an organisation and the toolsets each API key is limited to.

A tool row holds its definition as JSON (checked by ``conexor.tools`` before
it is saved, and again when it is used); this module only keeps rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, cast

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from conexor.store.errors import NotFound
from conexor.store.tables import ApiKeyRow, KeyToolsetRow, ToolRow

__all__ = ["NewTool", "ToolKind", "ToolRecord", "Tools"]

ToolKind = Literal["named", "generated"]


@dataclass(frozen=True)
class NewTool:
    """A tool to save: replaces any tool of the same name in the organisation."""

    name: str
    kind: ToolKind
    database_id: str
    definition_json: str
    toolsets: tuple[str, ...]


@dataclass(frozen=True)
class ToolRecord:
    """A stored tool as the rest of the server sees it."""

    id: str
    org_id: str
    name: str
    kind: ToolKind
    database_id: str
    definition_json: str
    toolsets: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


def _record(row: ToolRow) -> ToolRecord:
    return ToolRecord(
        row.id,
        row.org_id,
        row.name,
        cast(ToolKind, row.kind),
        row.database_id,
        row.definition,
        tuple(json.loads(row.toolsets or "[]")),
        row.created_at,
        row.updated_at,
    )


class Tools:
    """Save, list, find and remove tools; limit keys to toolsets."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, org_id: str, user_id: str, tools: Sequence[NewTool]) -> list[ToolRecord]:
        """Create or replace ``tools`` by name, all in one transaction."""
        now = datetime.now(UTC)
        saved: list[ToolRow] = []
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            for tool in tools:
                row = session.scalars(
                    select(ToolRow).where(ToolRow.org_id == org_id, ToolRow.name == tool.name)
                ).one_or_none()
                if row is None:
                    row = ToolRow(
                        id=str(uuid.uuid4()),
                        org_id=org_id,
                        name=tool.name,
                        created_by=user_id,
                        created_at=now,
                    )
                    session.add(row)
                row.kind = tool.kind
                row.database_id = tool.database_id
                row.definition = tool.definition_json
                row.toolsets = json.dumps(sorted(set(tool.toolsets)))
                row.updated_at = now
                saved.append(row)
        return [_record(r) for r in saved]

    def of_org(self, org_id: str) -> list[ToolRecord]:
        """Every tool of the organisation, by name."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(ToolRow).where(ToolRow.org_id == org_id).order_by(ToolRow.name)
            ).all()
            return [_record(r) for r in rows]

    def get(self, org_id: str, name: str) -> ToolRecord:
        """The named tool, or NotFound."""
        with Session(self._engine) as session:
            row = session.scalars(
                select(ToolRow).where(ToolRow.org_id == org_id, ToolRow.name == name)
            ).one_or_none()
            if row is None:
                raise NotFound(f"unknown tool {name[:64]!r}")
            return _record(row)

    def remove(self, org_id: str, names: Sequence[str]) -> list[str]:
        """Delete the named tools; NotFound (and nothing deleted) if one does not exist."""
        with Session(self._engine) as session, session.begin():
            rows = session.scalars(
                select(ToolRow).where(ToolRow.org_id == org_id, ToolRow.name.in_(list(names)))
            ).all()
            found = {r.name for r in rows}
            missing = [n for n in names if n not in found]
            if missing:
                raise NotFound(f"unknown tool {missing[0][:64]!r}")
            session.execute(
                delete(ToolRow).where(ToolRow.org_id == org_id, ToolRow.name.in_(list(names)))
            )
        return sorted(found)

    def key_toolsets(self, key_id: str, org_id: str | None = None) -> tuple[str, ...]:
        """The toolsets ``key_id`` is limited to; empty means no limit.

        With ``org_id``, a key of another organisation is NotFound.
        """
        with Session(self._engine) as session:
            if org_id is not None:
                key = session.get(ApiKeyRow, key_id)
                if key is None or key.org_id != org_id:
                    raise NotFound(f"unknown API key {key_id[:32]!r}")
            return tuple(
                session.scalars(
                    select(KeyToolsetRow.toolset)
                    .where(KeyToolsetRow.api_key_id == key_id)
                    .order_by(KeyToolsetRow.toolset)
                ).all()
            )

    def set_key_toolsets(self, org_id: str, key_id: str, toolsets: Sequence[str]) -> None:
        """Limit a key of the organisation to ``toolsets`` (empty: lift the limit)."""
        with Session(self._engine) as session, session.begin():
            key = session.get(ApiKeyRow, key_id)
            if key is None or key.org_id != org_id:
                raise NotFound(f"unknown API key {key_id[:32]!r}")
            session.execute(delete(KeyToolsetRow).where(KeyToolsetRow.api_key_id == key_id))
            session.add_all(
                KeyToolsetRow(api_key_id=key_id, toolset=t) for t in sorted(set(toolsets))
            )
