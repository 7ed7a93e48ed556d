"""Orders: orders and their lines, fulfilment orders (one per location) and shipments.

Comes before inventory because the inventory ledger points at the order a movement was for.

Revision ID: 0002_orders
Revises: 0001_catalog
Create Date: 2026-11-22 16:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_orders"
down_revision: str | None = "0001_catalog"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("payment_status", sa.String(16), nullable=False),
        sa.Column("delivery_method", sa.String(16), nullable=False),
        sa.Column("pickup_location_id", sa.Integer(), nullable=True),
        sa.Column("ship_name", sa.String(200), nullable=True),
        sa.Column("ship_line1", sa.String(200), nullable=True),
        sa.Column("ship_line2", sa.String(200), nullable=True),
        sa.Column("ship_city", sa.String(120), nullable=True),
        sa.Column("ship_region", sa.String(80), nullable=True),
        sa.Column("ship_postal_code", sa.String(20), nullable=True),
        sa.Column("ship_country", sa.String(2), nullable=True),
        sa.Column("ship_phone", sa.String(40), nullable=True),
        sa.Column("ship_latitude", sa.Float(), nullable=True),
        sa.Column("ship_longitude", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("subtotal_minor", sa.Integer(), nullable=False),
        sa.Column("shipping_minor", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("promised_earliest", sa.Date(), nullable=True),
        sa.Column("promised_latest", sa.Date(), nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=True),
        sa.Column("external_reference", sa.String(128), nullable=True),
        sa.Column("remorse_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_orders_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["pickup_location_id"],
            ["locations.id"],
            name=op.f("fk_orders_pickup_location_id_locations"),
        ),
        sa.UniqueConstraint(
            "channel_id", "idempotency_key", name=op.f("uq_orders_channel_idempotency")
        ),
    )
    op.create_index(op.f("ix_orders_channel_id"), "orders", ["channel_id"])
    op.create_index(op.f("ix_orders_customer_id"), "orders", ["customer_id"])
    op.create_index(op.f("ix_orders_status_created"), "orders", ["status", "created_at"])
    op.create_index(op.f("ix_orders_created"), "orders", ["created_at", "id"])

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_cancelled", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.UniqueConstraint(
            "order_id", "line_number", name=op.f("uq_order_lines_order_line_number")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "quantity_cancelled >= 0 AND quantity_cancelled <= quantity",
            name=op.f("ck_order_lines_cancelled_bounds"),
        ),
    )
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"])
    op.create_index(op.f("ix_order_lines_product_id"), "order_lines", ["product_id"])

    op.create_table(
        "fulfillment_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_orders")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_fulfillment_orders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_fulfillment_orders_location_id_locations"),
        ),
    )
    op.create_index(op.f("ix_fulfillment_orders_order_id"), "fulfillment_orders", ["order_id"])
    op.create_index(
        op.f("ix_fulfillment_orders_location_id"), "fulfillment_orders", ["location_id"]
    )

    op.create_table(
        "fulfillment_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fulfillment_order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_order_lines")),
        # 66 characters: op.f() lets PostgreSQL shorten it exactly as create_all() does.
        sa.ForeignKeyConstraint(
            ["fulfillment_order_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_fulfillment_order_lines_fulfillment_order_id_fulfillment_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_fulfillment_order_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_fulfillment_order_lines_quantity_positive")
        ),
    )
    op.create_index(
        op.f("ix_fulfillment_order_lines_fulfillment_order_id"),
        "fulfillment_order_lines",
        ["fulfillment_order_id"],
    )
    op.create_index(
        op.f("ix_fulfillment_order_lines_order_line_id"),
        "fulfillment_order_lines",
        ["order_line_id"],
    )

    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("fulfillment_order_id", sa.Integer(), nullable=True),
        sa.Column("carrier", sa.String(40), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("tracking_number", sa.String(64), nullable=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("label_url", sa.String(500), nullable=True),
        sa.Column("cost_minor", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("tracking_events", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fulfillment_order_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_shipments_fulfillment_order_id_fulfillment_orders"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(op.f("ix_shipments_order_id"), "shipments", ["order_id"])
    op.create_index(
        op.f("ix_shipments_fulfillment_order_id"), "shipments", ["fulfillment_order_id"]
    )
    op.create_index(op.f("ix_shipments_tracking_number"), "shipments", ["tracking_number"])


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it; children first.
    op.drop_table("shipments")
    op.drop_table("fulfillment_order_lines")
    op.drop_table("fulfillment_orders")
    op.drop_table("order_lines")
    op.drop_table("orders")
