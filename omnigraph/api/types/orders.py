"""Orders, their lines, fulfilment orders and shipments; every relation through a dataloader."""

import datetime
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

import strawberry
from strawberry import relay

from omnigraph.api.context import Info
from omnigraph.api.types.catalog import Channel, Customer, Location, Product, location_by_id
from omnigraph.api.types.common import (
    Address,
    Coordinates,
    DeliveryMethod,
    FulfillmentKind,
    FulfillmentStatus,
    Money,
    OrderStatus,
    PaymentStatus,
    ShipmentStatus,
)
from omnigraph.api.types.nodes import load_nodes
from omnigraph.api.types.picking import Backorder, Package, PickListLine, TransferDetails
from omnigraph.api.types.returns import Return
from omnigraph.api.types.sourcing import SourcingExplanation
from omnigraph.api.types.timeline import TimelineEntry
from omnigraph.db import models
from omnigraph.db.raw_rows import loaded
from omnigraph.domain.orders import order_number


@strawberry.type
class OrderLine:
    line_number: int
    quantity: int
    quantity_cancelled: int
    unit_price: Money
    total: Money
    product_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.OrderLine, currency: str) -> "OrderLine":
        return cls(
            line_number=row.line_number,
            quantity=row.quantity,
            quantity_cancelled=row.quantity_cancelled,
            unit_price=Money.minor(row.unit_price_minor, currency),
            total=Money.minor(row.unit_price_minor * row.quantity, currency),
            product_id=row.product_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product_by_id.load(self.product_id))


@strawberry.type
class FulfillmentOrderLine:
    quantity: int
    order_line_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product:
        line = await info.context.loaders.order_line_by_id.load(self.order_line_id)
        return Product.from_row(await info.context.loaders.product_by_id.load(line.product_id))

    @strawberry.field
    async def line_number(self, info: Info) -> int:
        line = await info.context.loaders.order_line_by_id.load(self.order_line_id)
        return line.line_number


@strawberry.type(description="The part of an order one location fulfils.")
class FulfillmentOrder(relay.Node):
    id: relay.NodeID[int]
    status: FulfillmentStatus  # type: ignore[valid-type]
    kind: FulfillmentKind  # type: ignore[valid-type]
    distance_km: float | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    location_id: strawberry.Private[int]
    order_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.FulfillmentOrder) -> "FulfillmentOrder":
        return cls(
            id=row.id,
            status=FulfillmentStatus(row.status),
            kind=FulfillmentKind(row.kind),
            distance_km=row.distance_km,
            created_at=row.created_at,
            updated_at=row.updated_at,
            location_id=row.location_id,
            order_id=row.order_id,
        )

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        return location_by_id(info, self.location_id)

    @strawberry.field
    async def lines(self, info: Info) -> list[FulfillmentOrderLine]:
        rows = await info.context.loaders.fulfillment_lines_by_fulfillment_order_id.load(self.id)
        return [
            FulfillmentOrderLine(quantity=row.quantity, order_line_id=row.order_line_id)
            for row in rows
        ]

    @strawberry.field
    async def order(self, info: Info) -> "Order":
        return Order.from_row(await info.context.loaders.order_by_id.load(self.order_id))

    @strawberry.field(description="What to pick, with bins where known and units picked so far.")
    async def pick_list(self, info: Info) -> list[PickListLine]:
        lines = await info.context.loaders.pick_list_by_fulfillment_order_id.load(self.id)
        return [PickListLine.of(line) for line in lines]

    @strawberry.field
    async def packages(self, info: Info) -> list[Package]:
        rows = await info.context.loaders.packages_by_fulfillment_order_id.load(self.id)
        return [Package.from_row(row) for row in rows]

    @strawberry.field(description="For a TRANSFER fulfilment order: where to and by when.")
    async def transfer(self, info: Info) -> TransferDetails | None:
        row = await info.context.loaders.transfer_by_fulfillment_order_id.load(self.id)
        return TransferDetails.from_row(row) if row is not None else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> Sequence[Any]:
        return await load_nodes(
            info.context.loaders.fulfillment_order_by_id, node_ids, cls.from_row, required
        )


@strawberry.type
class TrackingEvent:
    status: str
    occurred_at: str
    description: str | None


@strawberry.type(description="A parcel handed to a carrier.")
class Shipment(relay.Node):
    id: relay.NodeID[int]
    carrier: str
    service: str
    tracking_number: str | None
    status: ShipmentStatus  # type: ignore[valid-type]
    label_url: str | None
    cost: Money | None
    tracking_events: list[TrackingEvent]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    fulfillment_order_id: strawberry.Private[int | None]
    order_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Shipment) -> "Shipment":
        return cls(
            id=row.id,
            carrier=row.carrier,
            service=row.service,
            tracking_number=row.tracking_number,
            status=ShipmentStatus(row.status),
            label_url=row.label_url,
            cost=Money.minor(row.cost_minor, row.currency)
            if row.cost_minor is not None and row.currency
            else None,
            tracking_events=[
                TrackingEvent(
                    status=e.get("status", ""),
                    occurred_at=e.get("occurredAt", ""),
                    description=e.get("description"),
                )
                for e in row.tracking_events or ()
            ],
            created_at=row.created_at,
            updated_at=row.updated_at,
            fulfillment_order_id=row.fulfillment_order_id,
            order_id=row.order_id,
        )

    @strawberry.field
    async def fulfillment_order(self, info: Info) -> FulfillmentOrder | None:
        if self.fulfillment_order_id is None:
            return None
        return FulfillmentOrder.from_row(
            await info.context.loaders.fulfillment_order_by_id.load(self.fulfillment_order_id)
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> Sequence[Any]:
        return await load_nodes(
            info.context.loaders.shipment_by_id, node_ids, cls.from_row, required
        )


@strawberry.type(description="The delivery (or ready-for-pickup) dates promised at capture.")
class PromisedWindow:
    earliest: datetime.date
    latest: datetime.date


@strawberry.type(description="A customer's order, from any channel.")
class Order(relay.Node):
    id: relay.NodeID[int]
    number: str
    status: OrderStatus  # type: ignore[valid-type]
    payment_status: PaymentStatus  # type: ignore[valid-type]
    delivery_method: DeliveryMethod  # type: ignore[valid-type]
    shipping_address: Address | None
    subtotal: Money
    shipping: Money
    total: Money
    promised: PromisedWindow | None
    remorse_ends_at: datetime.datetime | None
    ship_by: datetime.datetime | None = strawberry.field(
        description="When the goods must leave for the promised delivery (the SHIP_BY "
        "milestone): the deliver-by less the transit the promise assumed. Null for "
        "collections and for orders captured before it was kept."
    )
    cancel_reason: str | None
    external_reference: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    channel_id: strawberry.Private[int]
    customer_id: strawberry.Private[int]
    pickup_location_id: strawberry.Private[int | None]
    currency: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.Order) -> "Order":
        # Read from the row's state: a page of orders reads all of these for every order.
        values = loaded(row)
        currency = values["currency"]
        address = None
        if values["ship_line1"] is not None:
            latitude, longitude = values["ship_latitude"], values["ship_longitude"]
            address = Address(
                name=values["ship_name"],
                line1=values["ship_line1"],
                line2=values["ship_line2"],
                city=values["ship_city"],
                region=values["ship_region"],
                postal_code=values["ship_postal_code"],
                country=values["ship_country"],
                phone=values["ship_phone"],
                coordinates=(
                    Coordinates(latitude=latitude, longitude=longitude)
                    if latitude is not None and longitude is not None
                    else None
                ),
            )
        earliest, latest = values["promised_earliest"], values["promised_latest"]
        return cls(
            id=values["id"],
            number=order_number(values["id"]),
            status=OrderStatus(values["status"]),
            payment_status=PaymentStatus(values["payment_status"]),
            delivery_method=DeliveryMethod(values["delivery_method"]),
            shipping_address=address,
            subtotal=Money.minor(values["subtotal_minor"], currency),
            shipping=Money.minor(values["shipping_minor"], currency),
            total=Money.minor(values["total_minor"], currency),
            promised=(
                PromisedWindow(earliest=earliest, latest=latest)
                if earliest is not None and latest is not None
                else None
            ),
            remorse_ends_at=values["remorse_ends_at"],
            ship_by=values["ship_by"],
            cancel_reason=values["cancel_reason"],
            external_reference=values["external_reference"],
            created_at=values["created_at"],
            updated_at=values["updated_at"],
            channel_id=values["channel_id"],
            customer_id=values["customer_id"],
            pickup_location_id=values["pickup_location_id"],
            currency=currency,
        )

    @strawberry.field
    async def channel(self, info: Info) -> Channel:
        return Channel.from_row(await info.context.loaders.channel_by_id.load(self.channel_id))

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return Customer.from_row(await info.context.loaders.customer_by_id.load(self.customer_id))

    @strawberry.field
    async def pickup_location(self, info: Info) -> Location | None:
        if self.pickup_location_id is None:
            return None
        return Location.from_row(
            await info.context.loaders.location_by_id.load(self.pickup_location_id)
        )

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLine]:
        rows = await info.context.loaders.lines_by_order_id.load(self.id)
        return [OrderLine.from_row(row, self.currency) for row in rows]

    @strawberry.field
    async def fulfillment_orders(self, info: Info) -> list[FulfillmentOrder]:
        rows = await info.context.loaders.fulfillment_orders_by_order_id.load(self.id)
        return [FulfillmentOrder.from_row(row) for row in rows]

    @strawberry.field
    async def shipments(self, info: Info) -> list[Shipment]:
        rows = await info.context.loaders.shipments_by_order_id.load(self.id)
        return [Shipment.from_row(row) for row in rows]

    @strawberry.field(
        description="Every state change of the order, its fulfilment orders and shipments, "
        "oldest first: who, when, why, from and to."
    )
    async def timeline(self, info: Info) -> list[TimelineEntry]:
        rows = await info.context.loaders.timeline_by_order_id.load(self.id)
        return [TimelineEntry.from_row(row) for row in rows]

    @strawberry.field(description="Units no location could take after a rejection or short pick.")
    async def backorders(self, info: Info) -> list[Backorder]:
        rows = await info.context.loaders.backorders_by_order_id.load(self.id)
        return [Backorder.from_row(row) for row in rows]

    @strawberry.field
    async def returns(self, info: Info) -> list[Return]:
        rows = await info.context.loaders.returns_by_order_id.load(self.id)
        return [Return.from_rows(ret, lines) for ret, lines in rows]

    @strawberry.field(
        description="Why the order was sent where it was: candidates, the rule rejecting each, "
        "the chosen plan's and the runner-up's costs. Null for orders captured before it was kept."
    )
    async def sourcing_decision(self, info: Info) -> SourcingExplanation | None:
        row = await info.context.loaders.sourcing_decision_by_order_id.load(self.id)
        return None if row is None else SourcingExplanation.of(row.explanation)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> Sequence[Any]:
        return await load_nodes(info.context.loaders.order_by_id, node_ids, cls.from_row, required)
