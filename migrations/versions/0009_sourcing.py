"""Sourcing rules per channel and delivery method, and each order's sourcing decision.

Revision ID: 0009_sourcing
Revises: 0008_lifecycle
Create Date: 2026-11-22 18:30:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009_sourcing"
down_revision: str | None = "0008_lifecycle"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "sourcing_method_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("max_distance_km", sa.Float(), nullable=True),
        sa.Column("min_stock", sa.JSON(), nullable=False),
        sa.Column("promise_business_days", sa.Integer(), nullable=True),
        sa.Column("max_packages", sa.Integer(), nullable=True),
        sa.Column("split_penalty_minor", sa.Integer(), nullable=True),
        sa.Column("allow_backorder", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sourcing_method_rules")),
        sa.UniqueConstraint("channel", "method", name="uq_sourcing_method_rules_channel_method"),
        sa.CheckConstraint(
            "max_distance_km IS NULL OR max_distance_km >= 0",
            name=op.f("ck_sourcing_method_rules_max_distance_nonnegative"),
        ),
        sa.CheckConstraint(
            "promise_business_days IS NULL OR promise_business_days >= 0",
            name=op.f("ck_sourcing_method_rules_promise_days_nonnegative"),
        ),
        sa.CheckConstraint(
            "max_packages IS NULL OR max_packages BETWEEN 1 AND 3",
            name=op.f("ck_sourcing_method_rules_max_packages_range"),
        ),
        sa.CheckConstraint(
            "split_penalty_minor IS NULL OR split_penalty_minor >= 0",
            name=op.f("ck_sourcing_method_rules_split_penalty_nonnegative"),
        ),
    )
    op.create_table(
        "sourcing_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("location_ids", sa.JSON(), nullable=False),
        sa.Column("location_types", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sourcing_exclusions")),
        sa.UniqueConstraint("channel", name=op.f("uq_sourcing_exclusions_channel")),
    )
    op.create_table(
        "sourcing_margin_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("threshold_minor", sa.Integer(), nullable=False),
        sa.Column("prefer", sa.String(24), nullable=False),
        sa.Column("over", sa.String(24), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sourcing_margin_rules")),
        sa.CheckConstraint(
            "threshold_minor >= 0", name=op.f("ck_sourcing_margin_rules_threshold_nonnegative")
        ),
    )
    op.create_table(
        "order_sourcing_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("basis", sa.String(24), nullable=True),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("candidates_considered", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_sourcing_decisions")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_sourcing_decisions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("order_id", name=op.f("uq_order_sourcing_decisions_order_id")),
    )


def downgrade() -> None:
    op.drop_table("order_sourcing_decisions")
    op.drop_table("sourcing_margin_rules")
    op.drop_table("sourcing_exclusions")
    op.drop_table("sourcing_method_rules")
