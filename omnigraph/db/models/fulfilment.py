"""What happens to an order after capture: its audit trail, picks, packages, hand-overs,
backordered units, where products sit on a location's shelves, and store-to-store transfers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omnigraph.db.models.base import Base
from omnigraph.db.types import UTCDateTime, utcnow


class TimelineEntry(Base):
    """One state change of an order, a fulfilment order or a shipment; never updated."""

    __tablename__ = "order_timeline"
    __table_args__ = (Index("ix_order_timeline_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PickEvent(Base):
    """A scan (units picked) or a short pick (units missing or damaged) on a pick list.

    Picked units per line are the sum of the scans, so a scan sent twice with the same
    ``scan_id`` is found here and applied once.
    """

    __tablename__ = "pick_events"
    __table_args__ = (
        UniqueConstraint("fulfillment_order_id", "scan_id", name="uq_pick_events_fo_scan"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fulfillment_order_id: Mapped[int] = mapped_column(
        ForeignKey("fulfillment_orders.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(16))
    scan_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Package(Base):
    """A parcel packed from a fulfilment order; ``contents`` maps order line ids to units."""

    __tablename__ = "packages"
    __table_args__ = (
        UniqueConstraint("fulfillment_order_id", "number", name="uq_packages_fo_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fulfillment_order_id: Mapped[int] = mapped_column(
        ForeignKey("fulfillment_orders.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    contents: Mapped[dict[str, int]] = mapped_column(JSON)
    weight_grams: Mapped[int] = mapped_column(Integer)
    shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Handover(Base):
    """The pickup code of a collection fulfilment order and, once collected, the proof."""

    __tablename__ = "handovers"

    fulfillment_order_id: Mapped[int] = mapped_column(
        ForeignKey("fulfillment_orders.id", ondelete="CASCADE"), primary_key=True
    )
    pickup_code: Mapped[str] = mapped_column(String(16))
    proof: Mapped[str | None] = mapped_column(String(24))
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Backorder(Base):
    """Units of an order line that wait for stock.

    Either no location could take them after a rejection or short pick (no location), or
    the order was captured against incoming supply: they wait at ``location_id`` for the
    supply expected on ``expected_on`` and are filled (``filled_at``) when it is received.
    """

    __tablename__ = "backorders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_backorders_waiting", "location_id", "filled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not a foreign key (see migration 0011): locations are never deleted.
    location_id: Mapped[int | None] = mapped_column(Integer)
    expected_on: Mapped[date | None] = mapped_column(Date)
    arrives_on: Mapped[date | None] = mapped_column(Date)
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProductBin(Base):
    """Where a product sits at a location (bin or aisle), shown on pick lists."""

    __tablename__ = "product_bins"
    __table_args__ = (
        UniqueConstraint("location_id", "product_id", name="uq_product_bins_location_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    bin: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Transfer(Base):
    """Where a TRANSFER fulfilment order takes its units, and when they should arrive."""

    __tablename__ = "transfers"

    fulfillment_order_id: Mapped[int] = mapped_column(
        ForeignKey("fulfillment_orders.id", ondelete="CASCADE"), primary_key=True
    )
    destination_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    expected_arrival: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
