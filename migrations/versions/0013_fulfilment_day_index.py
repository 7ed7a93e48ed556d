"""A location's fulfilment orders are indexed by day with their status.

Every order sourced to a location with a daily capacity counts that location's fulfilment
orders since its local midnight. With only ``location_id`` indexed, the count looked up each
of the day's rows in the table for its time and status, so it grew dearer with every order
of the day (thousands at a busy DC). The index on (location_id, created_at, status) answers
the count from the index alone, and replaces the single-column one, which it covers.

Revision ID: 0013_fulfilment_day_index
Revises: 0012_partial_order_indexes
Create Date: 2026-11-23 02:20:00+00:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0013_fulfilment_day_index"
down_revision: str | None = "0012_partial_order_indexes"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_fulfillment_orders_location_day",
        "fulfillment_orders",
        ["location_id", "created_at", "status"],
    )
    op.drop_index("ix_fulfillment_orders_location_id", table_name="fulfillment_orders")


def downgrade() -> None:
    op.create_index("ix_fulfillment_orders_location_id", "fulfillment_orders", ["location_id"])
    op.drop_index("ix_fulfillment_orders_location_day", table_name="fulfillment_orders")
