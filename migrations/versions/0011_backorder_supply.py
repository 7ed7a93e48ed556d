"""Backorders captured against incoming supply: where they wait, for which expected
supply, when they arrive, and when the supply filled them.

Revision ID: 0011_backorder_supply
Revises: 0010_ship_by
Create Date: 2026-11-22 20:40:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011_backorder_supply"
down_revision: str | None = "0010_ship_by"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    # All nullable: a backorder left by a rejection or a short pick waits at no location.
    # No foreign key on location_id: SQLite adds one only by rebuilding the table, and
    # locations are never deleted (orders and ledger movements keep theirs).
    op.add_column("backorders", sa.Column("location_id", sa.Integer(), nullable=True))
    op.add_column("backorders", sa.Column("expected_on", sa.Date(), nullable=True))
    op.add_column("backorders", sa.Column("arrives_on", sa.Date(), nullable=True))
    op.add_column("backorders", sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_backorders_waiting", "backorders", ["location_id", "filled_at"])


def downgrade() -> None:
    op.drop_index("ix_backorders_waiting", table_name="backorders")
    with op.batch_alter_table("backorders") as batch:
        batch.drop_column("filled_at")
        batch.drop_column("arrives_on")
        batch.drop_column("expected_on")
        batch.drop_column("location_id")
