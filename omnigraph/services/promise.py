"""Delivery promises: per method, where from, by when and for how much.

Order capture calls ``quote_method`` too, so an order is sourced exactly as it was promised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from omnigraph.carriers import RateOffer, RateRequest
from omnigraph.db.models.sourcing import ALL_CHANNELS
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
    confidence,
    stock_message,
)
from omnigraph.domain.sourcing import (
    Explanation,
    NoPlan,
    SourcingCandidate,
    SourcingDecision,
    SourcingRequest,
    SourcingRules,
    SupplyPart,
    arrival_window,
    check_requested_date,
    decide,
    rules_for_requested_date,
    supply_parts,
)
from omnigraph.domain.stock_signal import StockSignal, stock_signal
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services.availability import stock_thresholds
from omnigraph.services.catalog_cache import LocationFacts
from omnigraph.services.decision_memo import DecisionMemo
from omnigraph.services.network import ProductRef
from omnigraph.services.sourcing import (
    RULES_MAX_AGE_SECONDS,
    SourcingInputs,
    plugin_sourcing,
    sourcing_candidates,
    sourcing_rates,
)

if TYPE_CHECKING:
    from omnigraph.services.core import Services


# Between a decision's plugin filters and cost terms in what the memo compares.
_TERMS = object()


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
    decision: SourcingDecision
    supply: tuple[SupplyPart, ...] = ()
    requested_on: date | None = None


@dataclass(frozen=True, slots=True)
class ExplainedRefusal(PlanRefusal):
    """A method the engine could not offer, with its trace (who was rejected, and why)."""

    explanation: Explanation | None = None


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


def weight_of(quantities: Mapping[str, int], products: Mapping[str, ProductRef]) -> int:
    return sum(products[sku].weight_grams * qty for sku, qty in quantities.items())


async def _cheapest_offer(
    services: Services,
    origin: LocationFacts,
    destination: GeoPoint,
    postal_code: str | None,
    weight: int,
    service: str,
    currency: str,
) -> RateOffer | None:
    request = RateRequest(
        origin=origin.point,
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
    products: Mapping[str, ProductRef],
    candidates: Sequence[Candidate],
    locations: Mapping[int, LocationFacts],
    destination: GeoPoint,
    postal_code: str | None,
    now: datetime,
    *,
    pickup_location_id: int | None = None,
    currency: str = "USD",
    channel: str = ALL_CHANNELS,
    inputs: SourcingInputs | None = None,
    requested_on: date | None = None,
    backorders: bool = True,
    sources: Sequence[SourcingCandidate] | None = None,
    memo: DecisionMemo | None = None,
) -> MethodQuote | PlanRefusal:
    """Source the cart with the sourcing engine, then price its packages with the carriers.

    Promises and order capture both come here, so an order placed right after a promise is
    sent from the promised location(s) with the promised window unless stock moved.
    ``inputs`` carries the stored rules, today's order counts and incoming supply (default
    rules and none of those when omitted). With ``requested_on`` (a future-dated, B2B
    promise) lines short now may wait for incoming supply, and the option is offered only
    if everything arrives by that date; without it, a method whose rules allow backorders
    may still wait, otherwise a shortfall is refused. ``backorders=False`` refuses any
    decision that would wait for supply (order capture does not hold backorders yet).
    ``sources`` are ``candidates`` already combined with ``inputs`` (``sourcing_candidates``),
    for callers quoting several methods for one cart; ``memo`` keeps their decisions for
    the minute (the carriers still price every package).
    """
    inputs = inputs or SourcingInputs(SourcingRules(currency=currency))
    stored_rules = rules = inputs.rules
    if requested_on is not None:
        if method is DeliveryMethod.SAME_DAY and requested_on != now.astimezone(UTC).date():
            return PlanRefusal(method, Unavailable.REQUESTED_DATE_NOT_MET, "same day means today")
        rules = rules_for_requested_date(rules, channel, method)
    plugins = plugin_sourcing(services)
    if sources is None:
        sources = sourcing_candidates(candidates, locations, inputs, destination, currency)
    checked = sources
    rates = sourcing_rates(services)

    def decided() -> SourcingDecision | NoPlan:
        request = SourcingRequest(
            channel=channel,
            method=method,
            lines=dict(lines),
            candidates=checked,
            now=now,
            weights_grams={sku: products[sku].weight_grams for sku in lines},
            only_location_id=pickup_location_id,
            currency=currency,
        )
        return decide(
            request, rules, rates=rates, filters=plugins.filters, cost_terms=plugins.terms
        )

    if memo is None:
        decision = decided()
    else:
        weighed = tuple(
            (sku, qty, products[sku].weight_grams) for sku, qty in sorted(lines.items())
        )
        key = (method, channel, pickup_location_id, requested_on, weighed)
        decided_with = (stored_rules, sources, rates, *plugins.filters, _TERMS, *plugins.terms)
        decision = memo.decision(key, now, decided_with, decided)
    if isinstance(decision, NoPlan):
        refusal = decision.refusal()
        return ExplainedRefusal(
            refusal.method, refusal.reason, refusal.detail, decision.explanation
        )
    if decision.backorders and not backorders:
        short = ", ".join(f"{b.sku} (short {b.quantity})" for b in decision.backorders)
        return ExplainedRefusal(
            method,
            Unavailable.INSUFFICIENT_STOCK,
            f"would wait for incoming supply: {short}",
            decision.explanation,
        )
    window = arrival_window(decision)
    if requested_on is not None and window.latest > requested_on:
        return ExplainedRefusal(
            method,
            Unavailable.REQUESTED_DATE_NOT_MET,
            f"arrives by {window.latest.isoformat()}, after {requested_on.isoformat()}",
            decision.explanation,
        )
    plan = decision.to_plan()
    packages: list[PackageQuote] = []
    price = Money.zero(currency)
    rows = {**{row.id: row for row in inputs.supply_locations}, **locations}
    for allocation in plan.allocations:
        weight = weight_of(allocation.quantities, products)
        if method.is_collection:
            packages.append(PackageQuote(allocation, None, weight))
            continue
        offer = await _cheapest_offer(
            services,
            rows[allocation.candidate.location_id],
            destination,
            postal_code,
            weight,
            CARRIER_SERVICE[method],
            currency,
        )
        if offer is None:
            return _no_carrier(method)
        packages.append(PackageQuote(allocation, offer, weight))
        price = price + offer.price
    if not method.is_collection:
        # Backordered units leave their location later, in one parcel per location.
        for location_id, quantities in _backordered(decision).items():
            offer = await _cheapest_offer(
                services,
                rows[location_id],
                destination,
                postal_code,
                weight_of(quantities, products),
                CARRIER_SERVICE[method],
                currency,
            )
            if offer is None:
                return _no_carrier(method)
            price = price + offer.price
    today = now.astimezone(UTC).date()
    return MethodQuote(
        method,
        plan,
        window,
        price,
        tuple(packages),
        confidence(plan, lines),
        decision,
        supply_parts(decision, today),
        requested_on,
    )


def _no_carrier(method: DeliveryMethod) -> PlanRefusal:
    return PlanRefusal(
        method,
        Unavailable.NO_CARRIER_SERVICE,
        f"no carrier offers {CARRIER_SERVICE[method]} for this route",
    )


def _backordered(decision: SourcingDecision) -> dict[int, dict[str, int]]:
    grouped: dict[int, dict[str, int]] = {}
    for backorder in decision.backorders:
        share = grouped.setdefault(backorder.location_id, {})
        share[backorder.sku] = share.get(backorder.sku, 0) + backorder.quantity
    return grouped


@dataclass(frozen=True, slots=True)
class PromiseRequest:
    lines: Sequence[LineRequest]
    methods: Sequence[DeliveryMethod]
    destination: GeoPoint | None = None
    postal_code: str | None = None
    pickup_location_id: int | None = None
    channel: str | None = None
    requested_date: date | None = None


async def delivery_promise(services: Services, request: PromiseRequest) -> PromiseResult:
    """Every requested method's best option for the cart, or why it cannot be offered."""
    methods = list(dict.fromkeys(request.methods or list(DeliveryMethod)))
    # A cart the server holds is answered from memory, without opening a session.
    async with services.db.read_session_on_demand() as session:
        products = await services.catalog.products(line.sku for line in request.lines)
        problems = line_problems(request.lines, products)
        pickup: LocationFacts | None = None
        if request.pickup_location_id is not None:
            found = await services.catalog.locations([request.pickup_location_id], session)
            pickup = found.get(request.pickup_location_id)
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
        now = services.clock()
        if request.requested_date is not None:
            try:
                check_requested_date(request.requested_date, now.astimezone(UTC).date())
            except DomainError as error:
                problems.extend(error.problems)
        if problems:
            raise DomainError(problems)
        destination = request.destination or pickup.point  # type: ignore[union-attr]
        cart = await services.stock_snapshot.cart_sources.get(
            session, services, products, destination, now
        )
    currency = services.settings.default_currency
    lines = {line.sku: line.quantity for line in request.lines}
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
            cart.candidates,
            cart.locations,
            destination,
            request.postal_code,
            now,
            pickup_location_id=only,
            currency=currency,
            channel=request.channel or ALL_CHANNELS,
            inputs=cart.inputs,
            requested_on=request.requested_date,
            sources=cart.sources,
            memo=cart.decisions,
        )
        if isinstance(quote, PlanRefusal):
            unavailable.append(quote)
        else:
            options.append(quote)
    network = {sku: cart.network.get(sku, 0) for sku in lines}
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


async def refresh_inputs(services: Services) -> None:
    """Keep what every promise reads current from the background: the stock snapshot
    catches up with the outbox, and the stored rules are read again at half their age limit.

    Run every half poll interval by the server, so that promises seldom find either due and
    wait on the database themselves (``StockSnapshot.poll``). Both also refresh on a
    promise's own path when due, as before, so nothing depends on this task for being right.
    """
    async with services.db.read_session() as session:
        await services.stock_snapshot.poll(session)
        await services.stored_rules.refresh(
            session, services.settings.default_currency, RULES_MAX_AGE_SECONDS / 2
        )
