"""Channels, locations, products and customers."""

from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

import strawberry
from strawberry import relay

from omnigraph.api.context import Info
from omnigraph.api.types.common import (
    Address,
    Capability,
    Coordinates,
    DeliveryMethod,
    LocationType,
    Money,
)
from omnigraph.api.types.nodes import load_nodes
from omnigraph.db import models
from omnigraph.domain.calendar import WEEKDAYS


@strawberry.type(description="A sales channel and its rules.")
class Channel:
    code: str
    name: str
    remorse_minutes: int
    allowed_methods: list[DeliveryMethod]  # type: ignore[valid-type]

    @classmethod
    def from_row(cls, row: models.Channel) -> "Channel":
        return cls(
            code=row.code,
            name=row.name,
            remorse_minutes=row.remorse_minutes,
            allowed_methods=[DeliveryMethod(m) for m in row.allowed_methods or ()],
        )


@strawberry.type
class OpeningInterval:
    opens: str
    closes: str


@strawberry.type(description="Opening hours for one weekday, in the location's time zone.")
class OpeningDay:
    day: str
    intervals: list[OpeningInterval]


@strawberry.type(
    description="A place that holds stock: a DC, a store, a dark store, a 3PL or a vendor."
)
class Location(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    type: LocationType  # type: ignore[valid-type]
    address: Address
    coordinates: Coordinates
    timezone: str
    capabilities: list[Capability]  # type: ignore[valid-type]
    opening_hours: list[OpeningDay]
    holidays: list[str]
    cutoff_time: str = strawberry.field(
        description="Local time after which orders leave the next working day."
    )
    processing_minutes: int
    pick_cost: Money
    daily_capacity: int
    distance_km: float | None = strawberry.field(
        default=None, description="Distance from the point the list was asked near, if any."
    )

    @classmethod
    def from_row(cls, row: models.Location, distance_km: float | None = None) -> "Location":
        hours = row.opening_hours or {}
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            type=LocationType(row.type),
            address=Address(
                name=row.name,
                line1=row.address_line1,
                line2=row.address_line2,
                city=row.city,
                region=row.region,
                postal_code=row.postal_code,
                country=row.country,
                phone=None,
                coordinates=Coordinates(latitude=row.latitude, longitude=row.longitude),
            ),
            coordinates=Coordinates(latitude=row.latitude, longitude=row.longitude),
            timezone=row.timezone,
            capabilities=[Capability(c) for c in row.capabilities or ()],
            opening_hours=[
                OpeningDay(
                    day=day.upper(),
                    intervals=[OpeningInterval(opens=a, closes=b) for a, b in hours[day]],
                )
                for day in WEEKDAYS
                if hours.get(day)
            ],
            holidays=list(row.holidays or ()),
            cutoff_time=row.cutoff_time,
            processing_minutes=row.processing_minutes,
            pick_cost=Money.minor(row.pick_cost_minor, row.currency),
            daily_capacity=row.daily_capacity,
            distance_km=round(distance_km, 3) if distance_km is not None else None,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> Sequence[Any]:
        return await load_nodes(
            info.context.loaders.location_by_id, node_ids, cls.from_row, required
        )


def location_by_id(info: Info, location_id: int) -> Location | Awaitable[Location]:
    """A location for a ``location`` field: at once when the catalogue holds its row, else
    through the ``location_by_id`` loader.

    A resolver returning this (declared with ``graphql_type=Location``) stays synchronous
    on the common path: no coroutine, loader batch or event-loop round per location.
    """
    held = info.context.loaders.location_now(location_id, Location.from_row)
    if held is not None:
        return held
    return _loaded_location(info, location_id)


async def _loaded_location(info: Info, location_id: int) -> Location:
    return Location.from_row(await info.context.loaders.location_by_id.load(location_id))


@strawberry.type(description="A sellable item.")
class Product(relay.Node):
    id: relay.NodeID[int]
    sku: str
    name: str
    category: str
    barcode: str | None
    weight_grams: int
    price: Money

    @classmethod
    def from_row(cls, row: models.Product) -> "Product":
        return cls(
            id=row.id,
            sku=row.sku,
            name=row.name,
            category=row.category,
            barcode=row.barcode,
            weight_grams=row.weight_grams,
            price=Money.minor(row.price_minor, row.currency),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> Sequence[Any]:
        return await load_nodes(
            info.context.loaders.product_by_id, node_ids, cls.from_row, required
        )


@strawberry.type
class Customer(relay.Node):
    id: relay.NodeID[int]
    email: str
    name: str | None
    phone: str | None

    @classmethod
    def from_row(cls, row: models.Customer) -> "Customer":
        return cls(id=row.id, email=row.email, name=row.name, phone=row.phone)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> Sequence[Any]:
        return await load_nodes(
            info.context.loaders.customer_by_id, node_ids, cls.from_row, required
        )


@strawberry.type
class AtLocation:
    """Base for anything about one SKU at one location; both resolve through dataloaders."""

    location_id: strawberry.Private[int]
    product_id: strawberry.Private[int]

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        return location_by_id(info, self.location_id)

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product_by_id.load(self.product_id))
