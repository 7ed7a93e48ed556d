"""Inventory levels (the current quantity states) and the append-only movement ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from omnigraph.db.models.base import Base
from omnigraph.db.types import UTCDateTime, utcnow

_HAS_ORDER = text("order_id IS NOT NULL")


class InventoryLevel(Base):
    __tablename__ = "inventory_levels"
    __table_args__ = (
        UniqueConstraint("location_id", "product_id", name="uq_inventory_levels_location_product"),
        CheckConstraint("on_hand >= 0", name="on_hand_nonnegative"),
        CheckConstraint("committed >= 0", name="committed_nonnegative"),
        CheckConstraint("reserved >= 0", name="reserved_nonnegative"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_nonnegative"),
        CheckConstraint("damaged >= 0", name="damaged_nonnegative"),
        CheckConstraint("incoming >= 0", name="incoming_nonnegative"),
        Index("ix_inventory_levels_product_location", "product_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    committed: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)
    damaged: Mapped[int] = mapped_column(Integer, default=0)
    incoming: Mapped[int] = mapped_column(Integer, default=0)
    incoming_expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The safety stock rule that set ``safety_stock``; None when no rule applies. Kept by the
    # rules service (it clears the reference before deleting a rule), not by a foreign key.
    safety_stock_rule_id: Mapped[int | None] = mapped_column(Integer)


class InventoryMovement(Base):
    """One change to one quantity state. Never updated or deleted; levels are its running sum."""

    __tablename__ = "inventory_movements"
    __table_args__ = (
        # Replaying the same external id (a webhook retried, a count resent) changes nothing.
        UniqueConstraint(
            "source",
            "external_id",
            "location_id",
            "product_id",
            "bucket",
            name="uq_inventory_movements_idempotency",
        ),
        Index("ix_inventory_movements_level", "location_id", "product_id"),
        # Movements of an order, by order. Partial: most movements (holds, receipts, counts)
        # have none, and each of them would pay for a NULL entry.
        Index(
            "ix_inventory_movements_of_orders",
            "order_id",
            sqlite_where=_HAS_ORDER,
            postgresql_where=_HAS_ORDER,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    bucket: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(64), default="omnigraph")
    external_id: Mapped[str | None] = mapped_column(String(128))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
