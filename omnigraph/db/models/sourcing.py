"""Sourcing rules per channel and delivery method, and the decision recorded for each order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omnigraph.db.models.base import Base
from omnigraph.db.types import UTCDateTime, utcnow

# ``channel`` of a rule that applies to every channel without a rule of its own.
ALL_CHANNELS = "*"


class SourcingMethodRule(Base):
    """How one delivery method is sourced, for one channel or for all (``ALL_CHANNELS``)."""

    __tablename__ = "sourcing_method_rules"
    __table_args__ = (
        UniqueConstraint("channel", "method", name="uq_sourcing_method_rules_channel_method"),
        CheckConstraint(
            "max_distance_km IS NULL OR max_distance_km >= 0", name="max_distance_nonnegative"
        ),
        CheckConstraint(
            "promise_business_days IS NULL OR promise_business_days >= 0",
            name="promise_days_nonnegative",
        ),
        CheckConstraint(
            "max_packages IS NULL OR max_packages BETWEEN 1 AND 3", name="max_packages_range"
        ),
        CheckConstraint(
            "split_penalty_minor IS NULL OR split_penalty_minor >= 0",
            name="split_penalty_nonnegative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    max_distance_km: Mapped[float | None] = mapped_column(Float)
    # {"STORE": 3}: a location type's stock of a SKU is used only from this many units.
    min_stock: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    promise_business_days: Mapped[int | None] = mapped_column(Integer)
    max_packages: Mapped[int | None] = mapped_column(Integer)
    split_penalty_minor: Mapped[int | None] = mapped_column(Integer)
    allow_backorder: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SourcingExclusion(Base):
    """Locations and location types one channel may never be sourced from."""

    __tablename__ = "sourcing_exclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), unique=True)
    location_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    location_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SourcingMarginRule(Base):
    """ "Ship from ``prefer`` unless ``over`` is cheaper by more than the threshold" (one row)."""

    __tablename__ = "sourcing_margin_rules"
    __table_args__ = (CheckConstraint("threshold_minor >= 0", name="threshold_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    threshold_minor: Mapped[int] = mapped_column(Integer)
    prefer: Mapped[str] = mapped_column(String(24))
    over: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderSourcingDecision(Base):
    """Why an order was sent where it was: the engine's trace, written with the order."""

    __tablename__ = "order_sourcing_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str | None] = mapped_column(String(24))
    total_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    candidates_considered: Mapped[int] = mapped_column(Integer)
    # Candidates (nearest first, capped), chosen plan and runner-up; see services.sourcing_trace.
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
