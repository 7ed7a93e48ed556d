"""The order_id indexes of reservations, ledger movements and outbox events cover only rows
that belong to an order.

Most rows of those tables (checkout holds, receipts, counts, stock-change events) have no
order, yet each paid for an index entry of NULL on every insert. Every query by order_id
compares it with ``=`` (or meets it in a foreign-key action), which a partial index
``WHERE order_id IS NOT NULL`` answers on SQLite and PostgreSQL alike.

Revision ID: 0012_partial_order_indexes
Revises: 0011_backorder_supply
Create Date: 2026-11-22 22:30:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_partial_order_indexes"
down_revision: str | None = "0011_backorder_supply"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_HAS_ORDER = sa.text("order_id IS NOT NULL")
# (table, old full index, new partial index, columns)
_INDEXES = (
    ("reservations", "ix_reservations_order_id", "ix_reservations_of_orders", ["order_id"]),
    (
        "inventory_movements",
        "ix_inventory_movements_order_id",
        "ix_inventory_movements_of_orders",
        ["order_id"],
    ),
    ("outbox_events", "ix_outbox_events_order", "ix_outbox_events_of_orders", ["order_id", "id"]),
)


def upgrade() -> None:
    for table, old, new, columns in _INDEXES:
        op.create_index(
            new, table, columns, sqlite_where=_HAS_ORDER, postgresql_where=_HAS_ORDER
        )
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    for table, old, new, columns in _INDEXES:
        op.create_index(old, table, columns)
        op.drop_index(new, table_name=table)
