"""Reservations: checkout holds on stock with an expiry, and their lines.

Revision ID: 0006_reservations
Revises: 0005_notifications
Create Date: 2026-11-23 10:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reservations"
down_revision: str | None = "0005_notifications"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_ACTIVE = sa.text("status = 'ACTIVE'")


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("delivery_method", sa.String(16), nullable=False),
        sa.Column("pickup_location_id", sa.Integer(), nullable=True),
        sa.Column("destination_latitude", sa.Float(), nullable=True),
        sa.Column("destination_longitude", sa.Float(), nullable=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.ForeignKeyConstraint(
            ["pickup_location_id"],
            ["locations.id"],
            name=op.f("fk_reservations_pickup_location_id_locations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_reservations_order_id_orders"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(op.f("ix_reservations_cart_id"), "reservations", ["cart_id"])
    op.create_index(op.f("ix_reservations_order_id"), "reservations", ["order_id"])
    op.create_index(
        op.f("ix_reservations_status_expires"), "reservations", ["status", "expires_at"]
    )
    # At most one ACTIVE hold per cart, enforced by the database (a partial unique index).
    op.create_index(
        op.f("uq_reservations_active_cart"),
        "reservations",
        ["cart_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )

    op.create_table(
        "reservation_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_lines")),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_lines_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_reservation_lines_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_reservation_lines_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservation_lines_quantity_positive")),
    )
    op.create_index(
        op.f("ix_reservation_lines_reservation_id"), "reservation_lines", ["reservation_id"]
    )
    op.create_index(
        op.f("ix_reservation_lines_product_location"),
        "reservation_lines",
        ["product_id", "location_id"],
    )


def downgrade() -> None:
    op.drop_table("reservation_lines")
    op.drop_table("reservations")
