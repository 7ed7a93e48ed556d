"""Safety stock, channel exposure and protected stock rules."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omnigraph.db.models.base import Base
from omnigraph.db.types import UTCDateTime, utcnow


class SafetyStockRule(Base):
    __tablename__ = "safety_stock_rules"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(80))
    location_type: Mapped[str | None] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelExposureRule(Base):
    __tablename__ = "channel_exposure_rules"
    __table_args__ = (
        CheckConstraint(
            "percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent_range"
        ),
        CheckConstraint("cap IS NULL OR cap >= 0", name="cap_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(80))
    percent: Mapped[int | None] = mapped_column(Integer)
    cap: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProtectedStockRule(Base):
    __tablename__ = "protected_stock_rules"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(80))
    quantity: Mapped[int] = mapped_column(Integer)
    tiers: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
