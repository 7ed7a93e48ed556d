"""Outbox: the event log written with every state change, and each consumer's position in it.

Revision ID: 0004_outbox
Revises: 0003_inventory
Create Date: 2026-11-22 16:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox"
down_revision: str | None = "0003_inventory"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# A copy of omnigraph.db.models.events.EventId, frozen here so that later edits to the model
# cannot change what this revision creates. 64-bit on PostgreSQL; on SQLite only an INTEGER
# PRIMARY KEY is the rowid and auto-increments.
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", EVENT_ID, autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("aggregate_type", sa.String(32), nullable=False),
        sa.Column("aggregate_id", sa.Integer(), nullable=False),
        # Deliberately no foreign key: events are history and outlive the order.
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_index(op.f("ix_outbox_events_topic"), "outbox_events", ["topic"])
    op.create_index(op.f("ix_outbox_events_order"), "outbox_events", ["order_id", "id"])

    op.create_table(
        "event_cursors",
        sa.Column("consumer", sa.String(120), nullable=False),
        sa.Column("last_event_id", EVENT_ID, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(1000), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_event_cursors")),
    )


def downgrade() -> None:
    op.drop_table("event_cursors")
    op.drop_table("outbox_events")
