"""An insert-only application role for the audit tables on a PostgreSQL store.

Run migrations as the owner of the store, and the server as a separate role
that can read and write the ordinary tables but only SELECT and INSERT on the
audit tables: then even a compromised server process cannot UPDATE, DELETE or
TRUNCATE audit rows, triggers or not. The owner still can; only checkpoints
kept elsewhere catch that (see docs/audit.md).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine, text

from conexor.store.errors import StoreError

__all__ = ["AUDIT_TABLES", "grant_app_role"]

AUDIT_TABLES = ("audit_records", "audit_checkpoints")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(engine: Engine, role: str) -> None:
    """Give ``role`` what the server needs, and nothing that could alter the audit trail."""
    if engine.dialect.name != "postgresql":
        raise StoreError("an insert-only application role needs a PostgreSQL store")
    if not _ROLE.match(role):
        raise StoreError("the application role must be a lower-case SQL identifier")
    with engine.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first()
        if exists is None:
            raise StoreError(f"role {role} does not exist; create it first (CREATE ROLE ... LOGIN)")
        tables = [
            name
            for (name,) in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        ]
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{_schema(conn)}" TO {role}'))
        for table in tables:
            conn.execute(text(f'REVOKE ALL ON TABLE "{table}" FROM {role}'))
            if table in AUDIT_TABLES:
                conn.execute(text(f'GRANT SELECT, INSERT ON TABLE "{table}" TO {role}'))
            else:
                conn.execute(
                    text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "{table}" TO {role}')
                )
        conn.execute(
            text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{_schema(conn)}" TO {role}')
        )


def _schema(conn: Connection) -> str:
    name = conn.execute(text("SELECT current_schema()")).scalar_one()
    return str(name).replace('"', '""')
