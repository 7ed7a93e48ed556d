"""Missed SLA milestones, one row per order and milestone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnigraph.db.models.base import Base
from omnigraph.db.types import UTCDateTime, utcnow


class SlaBreach(Base):
    __tablename__ = "sla_breaches"
    __table_args__ = (
        # The monitor records a missed milestone once, however often it runs.
        UniqueConstraint("order_id", "milestone", name="uq_sla_breaches_order_milestone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    milestone: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
