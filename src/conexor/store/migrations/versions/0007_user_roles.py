"""User roles: admin (manages everything), member (queries), auditor (reads the audit trail).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Every existing user could do everything, so they all start as admins."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="admin"))


def downgrade() -> None:
    """Drop the column (everyone is an admin again)."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role")
