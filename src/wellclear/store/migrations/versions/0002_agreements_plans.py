"""The agreement's signed history (documents, steps) and planned operations.

Revision ID: 0002_agreements_plans
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_agreements_plans"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreement_documents",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_table(
        "agreement_steps",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column(
            "digest",
            sa.String(64),
            sa.ForeignKey("agreement_documents.digest"),
            nullable=False,
        ),
        sa.Column("step", sa.Text(), nullable=False),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("t_start", sa.Float(), nullable=False),
        sa.Column("t_end", sa.Float(), nullable=False),
        sa.Column("agreement_version", sa.String(64), nullable=False),
        sa.Column("updated_t", sa.Float(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_operations_party", "operations", ["party_id"])


def downgrade() -> None:
    op.drop_index("ix_operations_party", "operations")
    op.drop_table("operations")
    op.drop_table("agreement_steps")
    op.drop_table("agreement_documents")
