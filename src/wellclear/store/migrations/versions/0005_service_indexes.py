"""Indexed look-ups of the ids a party knows: ``public_id`` on ``alert_events`` and
``incidents`` (the opaque HMAC ids of :mod:`wellclear.service.disclosure`), each with an index,
so that ``POST /v1/alerts/{id}/ack`` and ``GET /v1/incidents/{id}`` find one row instead of
reading every event or incident of the caller. Rows stored before this revision get their
``public_id`` from the service when it starts (the key is the service's, not the schema's).
``airspace_events``: the live engine's airspace episode events, with the agreement version
that judged them (incidents of airspace infringements are classified from them).

Revision ID: 0005_service_indexes
Revises: 0004_plan_notices
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_service_indexes"
down_revision = "0004_plan_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airspace_events",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("episode_id", sa.String(128), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("aircraft_id", sa.String(64), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("volume", sa.String(128), nullable=False),
        sa.Column("agreement_version", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_airspace_events_episode", "airspace_events", ["episode_id"])
    for table, index in (
        ("alert_events", "ix_alert_events_public"),
        ("incidents", "ix_incidents_public"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("public_id", sa.String(64), nullable=True))
            batch.create_index(index, ["public_id"])


def downgrade() -> None:
    op.drop_index("ix_airspace_events_episode", "airspace_events")
    op.drop_table("airspace_events")
    for table, index in (
        ("alert_events", "ix_alert_events_public"),
        ("incidents", "ix_incidents_public"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(index)
            batch.drop_column("public_id")
