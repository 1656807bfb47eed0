"""Notices of planned operations: ``plan_notices`` (recipient, time, the notice as JSON), one
row per recipient, ids increasing in the order they are stored.

Revision ID: 0004_plan_notices
Revises: 0003_batch_ids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_plan_notices"
down_revision = "0003_batch_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_plan_notices_party_id", "plan_notices", ["party", "id"])


def downgrade() -> None:
    op.drop_index("ix_plan_notices_party_id", table_name="plan_notices")
    op.drop_table("plan_notices")
