"""The event outbox: every state change is written here in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from omnigraph.db.models.base import Base
from omnigraph.db.types import UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
EventId = BigInteger().with_variant(Integer(), "sqlite")
_HAS_ORDER = text("order_id IS NOT NULL")


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        # An order's events in order. Partial: most events (stock changes) belong to no order.
        Index(
            "ix_outbox_events_of_orders",
            "order_id",
            "id",
            sqlite_where=_HAS_ORDER,
            postgresql_where=_HAS_ORDER,
        ),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str | None] = mapped_column(String(120))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventCursor(Base):
    """How far each outbound consumer (a plugin) has processed the outbox."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(EventId, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
