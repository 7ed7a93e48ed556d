"""Writing to and reading from the outbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import OutboxEvent
from omnigraph.events.types import Event


def to_event(row: OutboxEvent) -> Event:
    return Event(
        id=row.id,
        topic=row.topic,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        order_id=row.order_id,
        payload=row.payload,
        actor=row.actor,
        occurred_at=row.occurred_at,
    )


def new_event(
    topic: str,
    aggregate_type: str,
    aggregate_id: int,
    payload: Mapping[str, Any],
    *,
    order_id: int | None = None,
    actor: str | None = None,
) -> OutboxEvent:
    return OutboxEvent(
        topic=topic,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        order_id=order_id,
        payload=dict(payload),
        actor=actor,
    )


async def events_after(
    session: AsyncSession,
    after_id: int,
    *,
    limit: int = 200,
    order_id: int | None = None,
    topics: Sequence[str] | None = None,
    up_to: int | None = None,
) -> list[Event]:
    query = select(OutboxEvent).where(OutboxEvent.id > after_id)
    if up_to is not None:
        query = query.where(OutboxEvent.id <= up_to)
    if order_id is not None:
        query = query.where(OutboxEvent.order_id == order_id)
    if topics:
        query = query.where(OutboxEvent.topic.in_(topics))
    rows = await session.scalars(query.order_by(OutboxEvent.id).limit(limit))
    return [to_event(row) for row in rows]


async def latest_event_id(session: AsyncSession) -> int:
    value = await session.scalar(select(func.max(OutboxEvent.id)))
    return int(value or 0)
