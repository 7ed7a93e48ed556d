"""Stock rules: safety stock with precedence and seasons, channel exposure, protected stock;
the rule behind each level's safety stock; customer tiers.

Revision ID: 0007_stock_rules
Revises: 0006_reservations
Create Date: 2026-11-22 17:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_stock_rules"
down_revision: str | None = "0006_reservations"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_stock_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(80), nullable=True),
        sa.Column("location_type", sa.String(24), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_stock_rules")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"],
            name=op.f("fk_safety_stock_rules_location_id_locations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"],
            name=op.f("fk_safety_stock_rules_product_id_products"), ondelete="CASCADE",
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_safety_stock_rules_quantity_nonnegative")),
    )
    op.create_index(op.f("ix_safety_stock_rules_location_id"), "safety_stock_rules", ["location_id"])
    op.create_table(
        "channel_exposure_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(80), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_exposure_rules")),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"],
            name=op.f("fk_channel_exposure_rules_channel_id_channels"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"],
            name=op.f("fk_channel_exposure_rules_product_id_products"), ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "percent IS NULL OR (percent >= 0 AND percent <= 100)",
            name=op.f("ck_channel_exposure_rules_percent_range"),
        ),
        sa.CheckConstraint("cap IS NULL OR cap >= 0", name=op.f("ck_channel_exposure_rules_cap_nonnegative")),
    )
    op.create_index(op.f("ix_channel_exposure_rules_channel_id"), "channel_exposure_rules", ["channel_id"])
    op.create_table(
        "protected_stock_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(80), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protected_stock_rules")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"],
            name=op.f("fk_protected_stock_rules_product_id_products"), ondelete="CASCADE",
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_protected_stock_rules_quantity_nonnegative")),
    )
    # A plain column, no foreign key: adding a constrained column to SQLite needs a rebuild
    # of the largest table. The rules service clears it before deleting a rule.
    op.add_column("inventory_levels", sa.Column("safety_stock_rule_id", sa.Integer(), nullable=True))
    # Existing customers become STANDARD; the server default fills their rows.
    op.add_column(
        "customers", sa.Column("tier", sa.String(16), nullable=False, server_default="STANDARD")
    )


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("tier")
    with op.batch_alter_table("inventory_levels") as batch:
        batch.drop_column("safety_stock_rule_id")
    op.drop_table("protected_stock_rules")
    op.drop_table("channel_exposure_rules")
    op.drop_table("safety_stock_rules")
