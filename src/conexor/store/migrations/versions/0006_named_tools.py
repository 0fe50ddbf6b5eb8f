"""Named and generated tools, and the toolsets an API key is limited to.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``tools`` (one row per tool, dies with its database) and ``key_toolsets``."""
    op.create_table(
        "tools",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("org_id", sa.String(36), sa.ForeignKey("orgs.id"), nullable=False, index=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "database_id",
            sa.String(36),
            sa.ForeignKey("databases.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("toolsets", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("created_by", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("org_id", "name", name="uq_tools_org_name"),
    )
    op.create_table(
        "key_toolsets",
        sa.Column(
            "api_key_id",
            sa.String(32),
            sa.ForeignKey("api_keys.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("toolset", sa.String(64), primary_key=True),
    )


def downgrade() -> None:
    """Drop the tools and the key limits (keys then see the built-in tools only)."""
    op.drop_table("key_toolsets")
    op.drop_table("tools")
