"""Following the outbox from a position: the engine behind GraphQL subscriptions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from omnigraph.events.outbox import events_after, latest_event_id
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
) -> AsyncIterator[Event]:
    """Yield matching events with ids above ``after``, forever, in id order.

    It scans up to a horizon read in the same query session, then waits for the broker to
    announce an id beyond that horizon, or for the poll interval to pass, which is how
    commits made by other processes arrive.
    """
    scanned = after
    poll = services.settings.event_poll_seconds
    while True:
        async with services.db.read_session() as session:
            horizon = await latest_event_id(session)
            batch = await events_after(
                session, scanned, limit=BATCH, order_id=order_id, topics=topics, up_to=horizon
            )
        for event in batch:
            yield event
        if len(batch) == BATCH:
            scanned = batch[-1].id
            continue
        scanned = max(scanned, horizon)
        await services.broker.wait_beyond(scanned, timeout=poll)
