"""Signed audit checkpoints, append-only like the records they commit to.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``audit_checkpoints`` and make it refuse UPDATE, DELETE and TRUNCATE."""
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.String(36), sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("issued_at", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_checkpoints_org", "audit_checkpoints", ["org_id", "id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_checkpoints_no_{event.lower()} BEFORE {event} "
                "ON audit_checkpoints "
                "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE "
            "ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION conexor_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
            "FOR EACH STATEMENT EXECUTE FUNCTION conexor_audit_append_only()"
        )


def downgrade() -> None:
    """Refuse: dropping checkpoints would hide that the trail was ever committed to."""
    raise RuntimeError("audit checkpoints cannot be downgraded away")
