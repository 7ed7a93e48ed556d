"""Subscriptions: consoles follow orders live, resuming from the last event id they saw."""

import datetime
from collections.abc import AsyncGenerator

import strawberry
from strawberry.scalars import JSON

from omnigraph.api.connections import as_bad_input
from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.catalog import Location, Product
from omnigraph.api.types.orders import Order
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.events import tail
from omnigraph.events.types import Event, Topic

ORDER_TOPICS = [
    t.value
    for t in Topic
    if t.value.split(".")[0] in {"order", "fulfillment", "shipment", "return", "sla"}
]
# Bounds the SQL IN lists a subscription adds to every poll.
MAX_INVENTORY_FILTER = 500


@strawberry.type(
    description="A committed change to an order, its fulfilment orders, shipments or returns,"
    " or a missed SLA milestone."
)
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


@strawberry.type(description="A committed change of stock of one SKU at one location.")
class InventoryEvent:
    event_id: str = strawberry.field(description="Pass as `after` to resume after this event.")
    sku: str
    available: int = strawberry.field(description="Sellable units after the change.")
    available_before: int
    on_hand: int
    committed: int
    reserved: int
    reason: str = strawberry.field(description="The ledger reason (SALE, CYCLE_COUNT, COMMIT...).")
    occurred_at: datetime.datetime
    location_id: strawberry.Private[int]
    product_id: strawberry.Private[int]

    @classmethod
    def of(cls, event: Event) -> "InventoryEvent":
        payload = event.payload
        return cls(
            event_id=str(event.id),
            sku=str(payload["sku"]),
            available=int(payload["available"]),
            available_before=int(payload["availableBefore"]),
            on_hand=int(payload["onHand"]),
            committed=int(payload["committed"]),
            reserved=int(payload["reserved"]),
            reason=str(payload["reason"]),
            occurred_at=event.occurred_at,
            location_id=int(payload["locationId"]),
            product_id=int(payload["productId"]),
        )

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.location_by_id.load(self.location_id))

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product_by_id.load(self.product_id))


def _inventory_filter(
    skus: list[str] | None, location_ids: list[strawberry.ID] | None
) -> dict[str, list[str] | list[int]]:
    """Filter on the event payload, not on level ids resolved now: a level created after
    the subscription started (a first receipt of a SKU at a store) must still be seen."""
    if len(skus or ()) > MAX_INVENTORY_FILTER or len(location_ids or ()) > MAX_INVENTORY_FILTER:
        raise DomainError.single(
            (), ErrorCode.INVALID, f"at most {MAX_INVENTORY_FILTER} SKUs and locations"
        )
    payload: dict[str, list[str] | list[int]] = {}
    if skus:
        payload["sku"] = list(dict.fromkeys(skus))
    if location_ids:
        payload["locationId"] = [
            decode_id(value, "Location", ("locationIds", str(index)))
            for index, value in enumerate(location_ids)
        ]
    return payload


def _position(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit():
        raise DomainError.single(("after",), ErrorCode.INVALID, "after must be an eventId")
    return int(after)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Order, fulfilment, shipment, return and SLA events; all orders when "
        "orderId is omitted."
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

    @strawberry.subscription(
        description="Stock changes (inventory.changed); every SKU and location when omitted."
    )
    async def inventory_changed(
        self,
        info: Info,
        skus: list[str] | None = None,
        location_ids: list[strawberry.ID] | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[InventoryEvent, None]:
        with as_bad_input():
            payload = _inventory_filter(skus, location_ids)
            start = _position(after)
        services = info.context.services
        position = start if start is not None else await tail.current_position(services)
        async for event in tail.follow(
            services, position, topics=[Topic.INVENTORY_CHANGED.value], payload=payload
        ):
            yield InventoryEvent.of(event)
