"""Order lifecycle: the audit trail, pick scans and short picks, packages, pickup
hand-overs, backordered units, product bins, returns with their lines, missed SLA
milestones and store-to-store transfers.

Revision ID: 0008_lifecycle
Revises: 0007_stock_rules
Create Date: 2026-11-22 18:30:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_lifecycle"
down_revision: str | None = "0007_stock_rules"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "order_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(24), nullable=True),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_timeline")),
        _fk("order_timeline", "order_id", "orders", "CASCADE"),
    )
    op.create_index("ix_order_timeline_order", "order_timeline", ["order_id", "id"])

    op.create_table(
        "pick_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fulfillment_order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("scan_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_events")),
        _fk("pick_events", "fulfillment_order_id", "fulfillment_orders", "CASCADE"),
        _fk("pick_events", "order_line_id", "order_lines", "CASCADE"),
        sa.UniqueConstraint("fulfillment_order_id", "scan_id", name="uq_pick_events_fo_scan"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_pick_events_quantity_positive")),
    )
    op.create_index(
        op.f("ix_pick_events_fulfillment_order_id"), "pick_events", ["fulfillment_order_id"]
    )

    op.create_table(
        "packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fulfillment_order_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("contents", sa.JSON(), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
        _fk("packages", "fulfillment_order_id", "fulfillment_orders", "CASCADE"),
        _fk("packages", "shipment_id", "shipments", "SET NULL"),
        sa.UniqueConstraint("fulfillment_order_id", "number", name="uq_packages_fo_number"),
    )
    op.create_index(op.f("ix_packages_fulfillment_order_id"), "packages", ["fulfillment_order_id"])
    op.create_index(op.f("ix_packages_shipment_id"), "packages", ["shipment_id"])

    op.create_table(
        "handovers",
        sa.Column("fulfillment_order_id", sa.Integer(), nullable=False),
        sa.Column("pickup_code", sa.String(16), nullable=False),
        sa.Column("proof", sa.String(24), nullable=True),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("fulfillment_order_id", name=op.f("pk_handovers")),
        _fk("handovers", "fulfillment_order_id", "fulfillment_orders", "CASCADE"),
    )

    op.create_table(
        "backorders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backorders")),
        _fk("backorders", "order_id", "orders", "CASCADE"),
        _fk("backorders", "order_line_id", "order_lines", "CASCADE"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_backorders_quantity_positive")),
    )
    op.create_index(op.f("ix_backorders_order_id"), "backorders", ["order_id"])

    op.create_table(
        "product_bins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("bin", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_bins")),
        _fk("product_bins", "location_id", "locations", "CASCADE"),
        _fk("product_bins", "product_id", "products", "CASCADE"),
        sa.UniqueConstraint("location_id", "product_id", name="uq_product_bins_location_product"),
    )

    op.create_table(
        "returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("refund_minor", sa.Integer(), nullable=True),
        sa.Column("shipping_refund_minor", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        _fk("returns", "order_id", "orders", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_returns_location_id_locations")
        ),
        sa.UniqueConstraint("order_id", "idempotency_key", name="uq_returns_order_idempotency"),
    )
    op.create_index(op.f("ix_returns_order_id"), "returns", ["order_id"])

    op.create_table(
        "return_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(24), nullable=True),
        sa.Column("refund_minor", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
        _fk("return_lines", "return_id", "returns", "CASCADE"),
        _fk("return_lines", "order_line_id", "order_lines", "CASCADE"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
    )
    op.create_index(op.f("ix_return_lines_return_id"), "return_lines", ["return_id"])

    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("milestone", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        _fk("sla_breaches", "order_id", "orders", "CASCADE"),
        sa.UniqueConstraint("order_id", "milestone", name="uq_sla_breaches_order_milestone"),
    )

    op.create_table(
        "transfers",
        sa.Column("fulfillment_order_id", sa.Integer(), nullable=False),
        sa.Column("destination_location_id", sa.Integer(), nullable=False),
        sa.Column("expected_arrival", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("fulfillment_order_id", name=op.f("pk_transfers")),
        _fk("transfers", "fulfillment_order_id", "fulfillment_orders", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["destination_location_id"],
            ["locations.id"],
            name=op.f("fk_transfers_destination_location_id_locations"),
        ),
    )


def downgrade() -> None:
    op.drop_table("transfers")
    op.drop_table("sla_breaches")
    op.drop_table("return_lines")
    op.drop_table("returns")
    op.drop_table("product_bins")
    op.drop_table("backorders")
    op.drop_table("handovers")
    op.drop_table("packages")
    op.drop_table("pick_events")
    op.drop_table("order_timeline")
