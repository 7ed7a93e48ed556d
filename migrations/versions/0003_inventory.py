"""Inventory: per-location quantity states and the append-only movement ledger.

Revision ID: 0003_inventory
Revises: 0002_orders
Create Date: 2026-11-22 16:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_inventory"
down_revision: str | None = "0002_orders"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("committed", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("safety_stock", sa.Integer(), nullable=False),
        sa.Column("damaged", sa.Integer(), nullable=False),
        sa.Column("incoming", sa.Integer(), nullable=False),
        sa.Column("incoming_expected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_levels")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_inventory_levels_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_inventory_levels_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "location_id", "product_id", name=op.f("uq_inventory_levels_location_product")
        ),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_inventory_levels_on_hand_nonnegative")),
        sa.CheckConstraint(
            "committed >= 0", name=op.f("ck_inventory_levels_committed_nonnegative")
        ),
        sa.CheckConstraint(
            "reserved >= 0", name=op.f("ck_inventory_levels_reserved_nonnegative")
        ),
        sa.CheckConstraint(
            "safety_stock >= 0", name=op.f("ck_inventory_levels_safety_stock_nonnegative")
        ),
        sa.CheckConstraint("damaged >= 0", name=op.f("ck_inventory_levels_damaged_nonnegative")),
        sa.CheckConstraint(
            "incoming >= 0", name=op.f("ck_inventory_levels_incoming_nonnegative")
        ),
    )
    op.create_index(
        op.f("ix_inventory_levels_product_location"),
        "inventory_levels",
        ["product_id", "location_id"],
    )

    op.create_table(
        "inventory_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(16), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_movements")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_inventory_movements_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_inventory_movements_product_id_products"),
            ondelete="CASCADE",
        ),
        # The ledger outlives a deleted order: the movement stays, the link is cleared.
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_inventory_movements_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint(
            "source",
            "external_id",
            "location_id",
            "product_id",
            "bucket",
            name=op.f("uq_inventory_movements_idempotency"),
        ),
    )
    op.create_index(
        op.f("ix_inventory_movements_level"),
        "inventory_movements",
        ["location_id", "product_id"],
    )
    op.create_index(
        op.f("ix_inventory_movements_order_id"), "inventory_movements", ["order_id"]
    )


def downgrade() -> None:
    op.drop_table("inventory_movements")
    op.drop_table("inventory_levels")
