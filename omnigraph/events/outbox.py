"""Writing to and reading from the outbox."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import OutboxEvent
from omnigraph.db.raw_rows import read_values
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


# A field filter on the JSON payload: key -> accepted values (all ints or all strings).
PayloadFilter = Mapping[str, Collection[int] | Collection[str]]


def _payload_in(key: str, values: Collection[int] | Collection[str]) -> ColumnElement[bool]:
    field = OutboxEvent.payload[key]
    if all(isinstance(value, int) for value in values):
        return field.as_integer().in_(list(values))
    return field.as_string().in_([str(value) for value in values])


# ``Event``'s fields, in order, as the outbox's attributes.
_EVENT_FIELDS = tuple(field.name for field in fields(Event))


def events_after_on(connection: sqlite3.Connection, after_id: int, limit: int) -> list[Event]:
    """``events_after`` without filters on a raw SQLite connection (the writer thread's)."""
    found = read_values(
        connection, OutboxEvent, _EVENT_FIELDS, "id > ? ORDER BY id LIMIT ?", (after_id, limit)
    )
    return [Event(*values) for values in found]


async def events_after(
    session: AsyncSession,
    after_id: int,
    *,
    limit: int = 200,
    order_id: int | None = None,
    topics: Sequence[str] | None = None,
    up_to: int | None = None,
    payload: PayloadFilter | None = None,
) -> list[Event]:
    """Events with ids above ``after_id`` in id order, narrowed by the filters given.

    ``payload`` keeps events whose payload holds one of the listed values under each key;
    it is evaluated in SQL (JSON extraction on SQLite and PostgreSQL), after the indexed
    id and topic conditions have narrowed the rows.
    """
    query = select(OutboxEvent).where(OutboxEvent.id > after_id)
    if up_to is not None:
        query = query.where(OutboxEvent.id <= up_to)
    if order_id is not None:
        query = query.where(OutboxEvent.order_id == order_id)
    if topics:
        query = query.where(OutboxEvent.topic.in_(topics))
    for key, values in (payload or {}).items():
        query = query.where(_payload_in(key, values))
    rows = await session.scalars(query.order_by(OutboxEvent.id).limit(limit))
    return [to_event(row) for row in rows]


async def latest_event_id(session: AsyncSession) -> int:
    value = await session.scalar(select(func.max(OutboxEvent.id)))
    return int(value or 0)


async def event_ids_between(
    session: AsyncSession, after_id: int, up_to: int, *, limit: int
) -> list[int]:
    """The ids present in ``(after_id, up_to]``, ascending: where the gaps are."""
    rows = await session.scalars(
        select(OutboxEvent.id)
        .where(OutboxEvent.id > after_id, OutboxEvent.id <= up_to)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return list(rows)
