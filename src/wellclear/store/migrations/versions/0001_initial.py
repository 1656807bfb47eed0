"""The first store: parties, batches of reports, alert events,
acknowledgements, incidents, audit, checkpoints, settings.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_t", sa.Float(), nullable=False),
        sa.Column("revoked_t", sa.Float(), nullable=True),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("received_t", sa.Float(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("t_min", sa.Float(), nullable=True),
        sa.Column("t_max", sa.Float(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_batches_t_max", "batches", ["t_max"])
    op.create_index("ix_batches_party_t_max", "batches", ["party_id", "t_max"])
    op.create_table(
        "alert_events",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.String(128), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_name", sa.String(32), nullable=False),
        sa.Column("id_1", sa.String(64), nullable=False),
        sa.Column("party_1", sa.String(64), nullable=False),
        sa.Column("id_2", sa.String(64), nullable=False),
        sa.Column("party_2", sa.String(64), nullable=False),
        sa.Column("agreement_version", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_alert_events_alert", "alert_events", ["alert_id"])
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.String(128), nullable=False),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
    )
    op.create_index("ix_acknowledgements_alert_id", "acknowledgements", ["alert_id"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("t_start", sa.Float(), nullable=False),
        sa.Column("t_end", sa.Float(), nullable=False),
        sa.Column("id_1", sa.String(64), nullable=False),
        sa.Column("party_1", sa.String(64), nullable=False),
        sa.Column("id_2", sa.String(64), nullable=False),
        sa.Column("party_2", sa.String(64), nullable=False),
        sa.Column("agreement_version", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("party", sa.String(64), nullable=True),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_t", "audit", ["t"])
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tick_t", sa.Float(), nullable=False),
        sa.Column("saved_t", sa.Float(), nullable=False),
        sa.Column("last_batch_id", sa.Integer(), nullable=False),
        sa.Column("last_event_seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "settings",
        "checkpoints",
        "audit",
        "incidents",
        "acknowledgements",
        "alert_events",
        "batches",
        "parties",
    ):
        op.drop_table(name)
