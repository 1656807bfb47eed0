"""Client batch ids: ``batch_keys`` (party, key, batch, answer) for the deduplication of
retried batches.

Revision ID: 0003_batch_ids
Revises: 0002_agreements_plans
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_batch_ids"
down_revision = "0002_agreements_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_keys",
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("batch_keys")
