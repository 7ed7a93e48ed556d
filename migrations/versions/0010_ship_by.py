"""Each shipped order's ship-by: when its goods must leave for the promised delivery.

Revision ID: 0010_ship_by
Revises: 0009_sourcing
Create Date: 2026-11-22 20:30:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010_ship_by"
down_revision: str | None = "0009_sourcing"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    # Nullable: collections have none, and orders captured before it was kept stay without
    # one (the transit their promise assumed was not stored), so no SHIP_BY is invented.
    op.add_column("orders", sa.Column("ship_by", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("ship_by")
