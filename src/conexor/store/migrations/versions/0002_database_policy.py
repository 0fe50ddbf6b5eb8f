"""Per-database policy: one JSON document replaces the max_rows and timeout_s columns.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_DATABASES = sa.table(
    "databases",
    sa.column("id", sa.String),
    sa.column("max_rows", sa.Integer),
    sa.column("timeout_s", sa.Integer),
    sa.column("policy", sa.Text),
)


def upgrade() -> None:
    """Add ``policy``, carry each database's limits into it, then drop the old columns."""
    with op.batch_alter_table("databases") as batch:
        batch.add_column(sa.Column("policy", sa.Text, nullable=False, server_default="{}"))
    bind = op.get_bind()
    for row in bind.execute(
        sa.select(_DATABASES.c.id, _DATABASES.c.max_rows, _DATABASES.c.timeout_s)
    ):
        policy = json.dumps({"max_rows": row.max_rows, "timeout_s": float(row.timeout_s)})
        bind.execute(_DATABASES.update().where(_DATABASES.c.id == row.id).values(policy=policy))
    with op.batch_alter_table("databases") as batch:
        batch.drop_column("max_rows")
        batch.drop_column("timeout_s")


def downgrade() -> None:
    """Restore the two limit columns from the policy and drop it."""
    with op.batch_alter_table("databases") as batch:
        batch.add_column(sa.Column("max_rows", sa.Integer, nullable=False, server_default="1000"))
        batch.add_column(sa.Column("timeout_s", sa.Integer, nullable=False, server_default="30"))
    bind = op.get_bind()
    for row in bind.execute(sa.select(_DATABASES.c.id, _DATABASES.c.policy)):
        policy = json.loads(row.policy or "{}")
        bind.execute(
            _DATABASES.update()
            .where(_DATABASES.c.id == row.id)
            .values(
                max_rows=int(policy.get("max_rows", 1000)),
                timeout_s=int(policy.get("timeout_s", 30)),
            )
        )
    with op.batch_alter_table("databases") as batch:
        batch.drop_column("policy")
