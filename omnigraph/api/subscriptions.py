"""Subscriptions: consoles follow orders live, resuming from the last event id they saw."""

import datetime
from collections.abc import AsyncGenerator

import strawberry
from strawberry.scalars import JSON

from omnigraph.api.connections import as_bad_input
from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.orders import Order
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.events import tail
from omnigraph.events.types import Event, Topic

ORDER_TOPICS = [
    t.value for t in Topic if t.value.split(".")[0] in {"order", "fulfillment", "shipment"}
]


@strawberry.type(description="A committed change to an order, its fulfilment orders or shipments.")
class OrderEvent:
    event_id: str = strawberry.field(description="Pass as `after` to resume after this event.")
    topic: str
    occurred_at: datetime.datetime
    payload: JSON
    order_id: strawberry.Private[int]

    @classmethod
    def of(cls, event: Event) -> "OrderEvent":
        assert event.order_id is not None
        return cls(
            event_id=str(event.id),
            topic=event.topic,
            occurred_at=event.occurred_at,
            payload=JSON(dict(event.payload)),
            order_id=event.order_id,
        )

    @strawberry.field
    async def order(self, info: Info) -> Order | None:
        row = await info.context.loaders.order_by_id.load(self.order_id)
        return Order.from_row(row) if row is not None else None


def _position(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit():
        raise DomainError.single(("after",), ErrorCode.INVALID, "after must be an eventId")
    return int(after)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Order, fulfilment and shipment events; all orders when orderId is omitted."
    )
    async def order_events(
        self, info: Info, order_id: strawberry.ID | None = None, after: str | None = None
    ) -> AsyncGenerator[OrderEvent, None]:
        with as_bad_input():
            key = decode_id(order_id, "Order", ("orderId",)) if order_id is not None else None
            start = _position(after)
        services = info.context.services
        position = start if start is not None else await tail.current_position(services)
        async for event in tail.follow(services, position, order_id=key, topics=ORDER_TOPICS):
            # Fresh rows for every event: the order has changed since the last one.
            info.context.loaders.clear_all()
            yield OrderEvent.of(event)
