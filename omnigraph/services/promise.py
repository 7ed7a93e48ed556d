"""Delivery promises: per method, where from, by when and for how much.

Order capture calls ``quote_method`` too, so an order is sourced exactly as it was promised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from omnigraph.carriers import RateOffer, RateRequest
from omnigraph.db.mapping import point_of
from omnigraph.db.models import Location, Product
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from omnigraph.domain.orders import LineRequest, line_problems
from omnigraph.domain.promise import (
    CARRIER_SERVICE,
    Allocation,
    Candidate,
    FulfilmentPlan,
    PlanRefusal,
    StockMessage,
    Unavailable,
    Window,
    collection_window,
    combine_windows,
    confidence,
    plan_fulfilment,
    same_day_window,
    shipping_window,
    stock_message,
)
from omnigraph.domain.stock_signal import StockSignal, stock_signal
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services.availability import stock_thresholds
from omnigraph.services.network import products_by_sku, stocked_locations, to_candidates

if TYPE_CHECKING:
    from omnigraph.services.core import Services


@dataclass(frozen=True, slots=True)
class PackageQuote:
    allocation: Allocation
    offer: RateOffer | None
    weight_grams: int


@dataclass(frozen=True, slots=True)
class MethodQuote:
    method: DeliveryMethod
    plan: FulfilmentPlan
    window: Window
    price: Money
    packages: tuple[PackageQuote, ...]
    confidence: float


@dataclass(frozen=True, slots=True)
class LineStock:
    sku: str
    requested: int
    network_available: int
    message: StockMessage
    signal: StockSignal


@dataclass(frozen=True, slots=True)
class PromiseResult:
    options: tuple[MethodQuote, ...]
    unavailable: tuple[PlanRefusal, ...]
    lines: tuple[LineStock, ...]


def weight_of(quantities: Mapping[str, int], products: Mapping[str, Product]) -> int:
    return sum(products[sku].weight_grams * qty for sku, qty in quantities.items())


async def _cheapest_offer(
    services: Services,
    origin: Location,
    destination: GeoPoint,
    postal_code: str | None,
    weight: int,
    service: str,
    currency: str,
) -> RateOffer | None:
    request = RateRequest(
        origin=point_of(origin),
        origin_postal_code=origin.postal_code,
        destination=destination,
        destination_postal_code=postal_code,
        weight_grams=weight,
        services=(service,),
        currency=currency,
    )
    offers = [
        offer
        for carrier in services.carriers
        for offer in await carrier.rates(request)
        if offer.service == service and offer.price.currency == currency
    ]
    return min(
        offers, key=lambda o: (o.price.minor, o.transit_business_days, o.carrier), default=None
    )


async def quote_method(
    services: Services,
    method: DeliveryMethod,
    lines: Mapping[str, int],
    products: Mapping[str, Product],
    candidates: Sequence[Candidate],
    locations: Mapping[int, Location],
    destination: GeoPoint,
    postal_code: str | None,
    now: datetime,
    *,
    pickup_location_id: int | None = None,
    currency: str = "USD",
) -> MethodQuote | PlanRefusal:
    plan = plan_fulfilment(
        method,
        lines,
        candidates,
        only_location_id=pickup_location_id,
        rules=services.sourcing_rules,
    )
    if isinstance(plan, PlanRefusal):
        return plan
    packages: list[PackageQuote] = []
    windows: list[Window] = []
    price = Money.zero(currency)
    for allocation in plan.allocations:
        schedule = allocation.candidate.schedule
        weight = weight_of(allocation.quantities, products)
        if method.is_collection:
            packages.append(PackageQuote(allocation, None, weight))
            windows.append(collection_window(schedule, now))
            continue
        offer = await _cheapest_offer(
            services,
            locations[allocation.candidate.location_id],
            destination,
            postal_code,
            weight,
            CARRIER_SERVICE[method],
            currency,
        )
        if offer is None:
            return PlanRefusal(
                method,
                Unavailable.NO_CARRIER_SERVICE,
                f"no carrier offers {CARRIER_SERVICE[method]} for this route",
            )
        if method is DeliveryMethod.SAME_DAY:
            window = same_day_window(schedule, now, allocation.candidate.distance_km)
            if isinstance(window, PlanRefusal):
                return window
        else:
            window = shipping_window(method, schedule, now, offer.transit_business_days)
        packages.append(PackageQuote(allocation, offer, weight))
        windows.append(window)
        price = price + offer.price
    return MethodQuote(
        method, plan, combine_windows(windows), price, tuple(packages), confidence(plan, lines)
    )


@dataclass(frozen=True, slots=True)
class PromiseRequest:
    lines: Sequence[LineRequest]
    methods: Sequence[DeliveryMethod]
    destination: GeoPoint | None = None
    postal_code: str | None = None
    pickup_location_id: int | None = None


async def delivery_promise(services: Services, request: PromiseRequest) -> PromiseResult:
    """Every requested method's best option for the cart, or why it cannot be offered."""
    methods = list(dict.fromkeys(request.methods or list(DeliveryMethod)))
    async with services.db.read_session() as session:
        products = await products_by_sku(session, (line.sku for line in request.lines))
        problems = line_problems(request.lines, products)
        pickup: Location | None = None
        if request.pickup_location_id is not None:
            pickup = await session.get(Location, request.pickup_location_id)
            if pickup is None:
                problems.append(
                    Problem(
                        ("pickupLocationId",), ErrorCode.UNKNOWN_LOCATION, "unknown pickup location"
                    )
                )
        if request.destination is None and pickup is None:
            problems.append(
                Problem(
                    ("destination",),
                    ErrorCode.REQUIRED,
                    "a destination or a pickup location is required",
                )
            )
        if problems:
            raise DomainError(problems)
        stocked = await stocked_locations(session, products)
    destination = request.destination or point_of(pickup)  # type: ignore[arg-type]
    candidates = to_candidates(stocked, destination)
    locations = {item.location.id: item.location for item in stocked}
    lines = {line.sku: line.quantity for line in request.lines}
    currency = services.settings.default_currency
    now = services.clock()
    options: list[MethodQuote] = []
    unavailable: list[PlanRefusal] = []
    for method in methods:
        if request.destination is None and not method.is_collection:
            unavailable.append(
                PlanRefusal(method, Unavailable.OUT_OF_RANGE, "delivery needs a destination")
            )
            continue
        only = request.pickup_location_id if method.is_collection else None
        quote = await quote_method(
            services,
            method,
            lines,
            products,
            candidates,
            locations,
            destination,
            request.postal_code,
            now,
            pickup_location_id=only,
            currency=currency,
        )
        if isinstance(quote, PlanRefusal):
            unavailable.append(quote)
        else:
            options.append(quote)
    network = {sku: sum(c.stock.get(sku, 0) for c in candidates) for sku in lines}
    thresholds = stock_thresholds(services.settings)
    line_stock = tuple(
        LineStock(
            sku,
            qty,
            network[sku],
            stock_message(network[sku], thresholds),
            stock_signal(network[sku], thresholds),
        )
        for sku, qty in lines.items()
    )
    return PromiseResult(tuple(options), tuple(unavailable), line_stock)
