"""Per-organisation key for audit query hashes (HMAC), so a guessed query cannot be confirmed.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ORGS = sa.table("orgs", sa.column("id", sa.String), sa.column("query_hash_key", sa.LargeBinary))


def upgrade() -> None:
    """Add the column and give every existing organisation its own random key."""
    with op.batch_alter_table("orgs") as batch:
        batch.add_column(sa.Column("query_hash_key", sa.LargeBinary(32), nullable=True))
    bind = op.get_bind()
    for (org_id,) in bind.execute(sa.select(_ORGS.c.id)):
        bind.execute(
            _ORGS.update().where(_ORGS.c.id == org_id).values(query_hash_key=os.urandom(32))
        )
    with op.batch_alter_table("orgs") as batch:
        batch.alter_column("query_hash_key", existing_type=sa.LargeBinary(32), nullable=False)


def downgrade() -> None:
    """Drop the keys (earlier records keep their hashes; new ones could not be keyed)."""
    with op.batch_alter_table("orgs") as batch:
        batch.drop_column("query_hash_key")
