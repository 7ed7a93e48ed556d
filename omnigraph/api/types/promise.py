"""Delivery promise answers."""

import datetime
from collections.abc import Awaitable

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.types.catalog import Location, location_by_id
from omnigraph.api.types.common import DeliveryMethod, Money, StockMessage
from omnigraph.api.types.sourcing import SourcingExplanation
from omnigraph.api.types.stock import StockStatus
from omnigraph.domain import sourcing
from omnigraph.domain.promise import PlanRefusal
from omnigraph.domain.sourcing import Explanation, SourcingDecision
from omnigraph.services import promise as promise_service
from omnigraph.services.sourcing_trace import explanation_json, trace_json


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

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        return location_by_id(info, self.location_id)


SupplySource = strawberry.enum(
    sourcing.SupplySource, description="On the shelf now, or incoming supply with a date."
)


@strawberry.type(description="Which part of the cart comes from which supply.")
class PromiseSupply:
    sku: str
    quantity: int
    source: SupplySource  # type: ignore[valid-type]
    available_on: datetime.date = strawberry.field(
        description="Today for stock on hand; the expected date for incoming supply."
    )
    arrives_on: datetime.date
    location_id: strawberry.Private[int]

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        return location_by_id(info, self.location_id)


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
    supply: list[PromiseSupply] = strawberry.field(
        description="Each part of the cart: on hand now or incoming, where, and when it arrives."
    )
    requested_date: datetime.date | None = strawberry.field(
        description="The requested delivery date this option meets, if one was asked for."
    )
    decision: strawberry.Private[SourcingDecision]

    @strawberry.field(
        description="Why these locations: candidates, the rule rejecting each, chosen plan and "
        "runner-up with their costs. The same engine and rules source the order."
    )
    def explanation(self) -> SourcingExplanation:
        return SourcingExplanation.of(explanation_json(self.decision))

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
            decision=quote.decision,
            requested_date=quote.requested_on,
            supply=[
                PromiseSupply(
                    sku=part.sku,
                    quantity=part.quantity,
                    source=sourcing.SupplySource(part.source),
                    available_on=part.available_on,
                    arrives_on=part.arrives_on,
                    location_id=part.location_id,
                )
                for part in quote.supply
            ],
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
    trace: strawberry.Private[Explanation | None] = None
    currency: strawberry.Private[str] = "USD"

    @strawberry.field(
        description="The locations the engine screened and the rule that rejected each; null "
        "when the method was refused before sourcing (no destination; same day on another day)."
    )
    def explanation(self) -> SourcingExplanation | None:
        if self.trace is None:
            return None
        return SourcingExplanation.of(trace_json(self.trace, self.currency))

    @classmethod
    def of(cls, refusal: PlanRefusal, currency: str) -> "UnavailableMethod":
        explained = refusal if isinstance(refusal, promise_service.ExplainedRefusal) else None
        return cls(
            method=DeliveryMethod(refusal.method),
            reason=refusal.reason.value,
            detail=refusal.detail,
            trace=explained.explanation if explained is not None else None,
            currency=currency,
        )


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
