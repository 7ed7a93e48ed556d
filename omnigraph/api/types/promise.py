"""Delivery promise answers."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.types.catalog import Location
from omnigraph.api.types.common import DeliveryMethod, Money, StockMessage
from omnigraph.api.types.stock import StockStatus
from omnigraph.services import promise as promise_service


@strawberry.type
class SkuQuantity:
    sku: str
    quantity: int


@strawberry.type(description="One parcel (or one collection point) of a promise option.")
class PromisePackage:
    distance_km: float
    carrier: str | None
    service: str | None
    price: Money | None
    weight_grams: int
    lines: list[SkuQuantity]
    location_id: strawberry.Private[int]

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.location_by_id.load(self.location_id))


@strawberry.type(description="How a cart can reach the customer by one method.")
class PromiseOption:
    method: DeliveryMethod  # type: ignore[valid-type]
    price: Money
    earliest_date: datetime.date
    latest_date: datetime.date
    ready_at: datetime.datetime | None = strawberry.field(
        description="Pickup and curbside: when it is ready."
    )
    deliver_by: datetime.datetime | None = strawberry.field(
        description="Same day: the latest drop time."
    )
    confidence: float = strawberry.field(description="0-1; lower when the stock margin is thin.")
    packages: list[PromisePackage]

    @classmethod
    def of(cls, quote: promise_service.MethodQuote) -> "PromiseOption":
        return cls(
            method=DeliveryMethod(quote.method),
            price=Money.of(quote.price),
            earliest_date=quote.window.earliest,
            latest_date=quote.window.latest,
            ready_at=quote.window.ready_at,
            deliver_by=quote.window.deliver_by,
            confidence=quote.confidence,
            packages=[
                PromisePackage(
                    location_id=package.allocation.candidate.location_id,
                    distance_km=round(package.allocation.candidate.distance_km, 3),
                    carrier=package.offer.carrier if package.offer else None,
                    service=package.offer.service if package.offer else None,
                    price=Money.of(package.offer.price) if package.offer else None,
                    weight_grams=package.weight_grams,
                    lines=[
                        SkuQuantity(sku=s, quantity=q)
                        for s, q in package.allocation.quantities.items()
                    ],
                )
                for package in quote.packages
            ],
        )


@strawberry.type
class UnavailableMethod:
    method: DeliveryMethod  # type: ignore[valid-type]
    reason: str
    detail: str


@strawberry.type
class LineStock:
    sku: str
    requested: int
    network_available: int
    message: StockMessage  # type: ignore[valid-type]
    stock: StockStatus


@strawberry.type(description="Delivery options for a cart, and why other methods are not offered.")
class DeliveryPromise:
    options: list[PromiseOption]
    unavailable: list[UnavailableMethod]
    lines: list[LineStock]
