"""Following the outbox from a position: the engine behind GraphQL subscriptions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from omnigraph.events.gaps import IdGaps
from omnigraph.events.outbox import (
    PayloadFilter,
    event_ids_between,
    events_after,
    latest_event_id,
)
from omnigraph.events.types import Event

if TYPE_CHECKING:
    from omnigraph.services.core import Services

BATCH = 200


async def current_position(services: Services) -> int:
    async with services.db.read_session() as session:
        return await latest_event_id(session)


async def follow(
    services: Services,
    after: int,
    *,
    order_id: int | None = None,
    topics: Sequence[str] | None = None,
    payload: PayloadFilter | None = None,
) -> AsyncIterator[Event]:
    """Yield matching events with ids above ``after``, forever, in id order.

    It scans up to a horizon read in the same query session, then waits for the broker to
    announce an id beyond that horizon, or for the poll interval to pass, which is how
    commits made by other processes arrive. ``payload`` narrows by payload fields
    (``events_after``).
    """
    scanned = after
    poll = services.settings.event_poll_seconds
    # SQLite commits one writer at a time, so its ids become visible in order.
    gaps = None if services.db.is_sqlite else IdGaps()
    while True:
        async with services.db.read_session() as session:
            horizon = await latest_event_id(session)
            safe = horizon
            if gaps is not None and horizon > scanned:
                present = await event_ids_between(session, scanned, horizon, limit=BATCH)
                safe = gaps.safe_position(scanned, present)
            batch = await events_after(
                session,
                scanned,
                limit=BATCH,
                order_id=order_id,
                topics=topics,
                up_to=safe,
                payload=payload,
            )
        for event in batch:
            yield event
        if len(batch) == BATCH:
            scanned = batch[-1].id
            continue
        moved = safe > scanned
        scanned = max(scanned, safe)
        if moved and safe < horizon:
            continue
        wait = poll
        if gaps is not None and (deadline := gaps.seconds_to_next_deadline()) is not None:
            wait = min(wait, deadline)
        await services.broker.wait_beyond(horizon, timeout=wait)
