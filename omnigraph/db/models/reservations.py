"""Checkout reservations: a cart's hold on stock, and where each held unit is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from omnigraph.db.models.base import Base
from omnigraph.db.types import UTCDateTime, utcnow

_ACTIVE = text("status = 'ACTIVE'")
_HAS_ORDER = text("order_id IS NOT NULL")


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        # One live hold per cart: two concurrent first reservations of a cart cannot both win.
        Index(
            "uq_reservations_active_cart",
            "cart_id",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        # The sweeper's query: due ACTIVE holds, oldest first.
        Index("ix_reservations_status_expires", "status", "expires_at"),
        # Holds converted into orders, by order. Partial: a new hold has no order, and a
        # checkout rush should not pay for indexing thousands of NULLs.
        Index(
            "ix_reservations_of_orders",
            "order_id",
            sqlite_where=_HAS_ORDER,
            postgresql_where=_HAS_ORDER,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    delivery_method: Mapped[str] = mapped_column(String(16))
    pickup_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="SET NULL")
    )
    destination_latitude: Mapped[float | None] = mapped_column(Float)
    destination_longitude: Mapped[float | None] = mapped_column(Float)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReservationLine(Base):
    __tablename__ = "reservation_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # Lazy expiry looks up due holds by the levels an order or a reservation touches.
        Index("ix_reservation_lines_product_location", "product_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
