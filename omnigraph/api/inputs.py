"""Input types shared by queries and mutations, and their translation to domain values."""

import datetime

import strawberry

from omnigraph.api.types.common import (
    Capability,
    DeliveryMethod,
    GeoPointInput,
    LocationType,
    OrderStatus,
)
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import Address


@strawberry.input
class OrderFilterInput:
    statuses: list[OrderStatus] | None = None  # type: ignore[valid-type]
    channels: list[str] | None = None
    customer_id: strawberry.ID | None = None
    customer_email: str | None = None
    created_from: datetime.datetime | None = strawberry.field(
        default=None, description="Inclusive."
    )
    created_to: datetime.datetime | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.input
class LocationFilterInput:
    types: list[LocationType] | None = None  # type: ignore[valid-type]
    capabilities: list[Capability] | None = None  # type: ignore[valid-type]
    near: GeoPointInput | None = None
    radius_km: float | None = None


@strawberry.input
class ProductFilterInput:
    skus: list[str] | None = None
    category: str | None = None
    search: str | None = None


@strawberry.input
class LineInput:
    sku: str
    quantity: int


@strawberry.input
class AddressInput:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str = strawberry.field(description="ISO 3166 two-letter code.")
    line2: str | None = None
    region: str | None = None
    phone: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def to_address(self) -> Address:
        return Address(
            name=self.name,
            line1=self.line1,
            line2=self.line2,
            city=self.city,
            region=self.region,
            postal_code=self.postal_code,
            country=self.country,
            latitude=self.latitude,
            longitude=self.longitude,
            phone=self.phone,
        )


@strawberry.input
class DeliveryPromiseInput:
    lines: list[LineInput]
    destination: GeoPointInput | None = None
    postal_code: str | None = None
    methods: list[DeliveryMethod] | None = None  # type: ignore[valid-type]
    pickup_location_id: strawberry.ID | None = None
    channel: str | None = strawberry.field(
        default=None,
        description="The channel's sourcing rules apply (as they will to its order); "
        "omitted: the rules for every channel.",
    )
    requested_date: datetime.date | None = strawberry.field(
        default=None,
        description="A future delivery date (B2B): lines short now may wait for incoming "
        "supply, and a method is offered only if everything arrives by this date.",
    )


def geo_point(value: GeoPointInput | None, field: tuple[str, ...]) -> GeoPoint | None:
    if value is None:
        return None
    try:
        return GeoPoint(value.latitude, value.longitude)
    except ValueError:
        raise DomainError.single(
            field, ErrorCode.INVALID_COORDINATES, "coordinates are out of range"
        ) from None
