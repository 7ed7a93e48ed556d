"""What-if sourcing: replay orders against the current rules and an alternative rule set.

Reads only: the replay draws down an in-memory copy of today's available stock (plus, for
captured orders, the units they hold, as they would be sourced afresh), so no level,
order or event is written. Costs are the engine's cost model (carrier rate table,
pick labour, split penalties, plugin cost terms), the same numbers sourcing decides by.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.mapping import point_of
from omnigraph.db.models import (
    Channel,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Location,
    Order,
    OrderLine,
    Product,
)
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import order_number
from omnigraph.domain.promise import Candidate
from omnigraph.domain.rules_file import RulesDocument, parse_rules
from omnigraph.domain.sourcing import NoPlan, SourcingDecision, SourcingRequest, SourcingRules
from omnigraph.domain.sourcing import decide as decide_sourcing
from omnigraph.domain.sourcing.file import sourcing_rules_from
from omnigraph.domain.sourcing.simulation import (
    CO2_GRAMS_PER_KG_KM,
    Outcome,
    SimulatedOrder,
    StockLedger,
    Summary,
    replay,
    sample_orders,
    sla_deadline,
    summarise,
)
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentStatus
from omnigraph.services.catalog_cache import LocationFacts, location_facts
from omnigraph.services.network import StockedLocation, stocked_locations
from omnigraph.services.sourcing import (
    SourcingInputs,
    incoming_supply,
    load_rules,
    orders_today,
    plugin_sourcing,
    sourcing_candidates,
    sourcing_rates,
)
from omnigraph.services.sourcing_rules import resolve_codes

if TYPE_CHECKING:
    from omnigraph.services.core import Services

# A sample drawn for the API stays small enough to answer within a request.
MAX_API_ORDERS = 2_000
DEFAULT_SAMPLE = 200
# A sample draws from the SKUs with the most stock, so carts are mostly servable.
SAMPLE_SKUS = 200


@dataclass(frozen=True, slots=True)
class SimulationRequest:
    """Orders to replay (by id, or a generated sample) and the alternative rules."""

    alternative: RulesDocument
    order_ids: Sequence[int] = ()
    sample_size: int | None = None
    seed: int = 7
    max_orders: int | None = MAX_API_ORDERS


@dataclass(frozen=True, slots=True)
class OrderComparison:
    order: SimulatedOrder
    current: Outcome
    alternative: Outcome


@dataclass(frozen=True, slots=True)
class SimulationReport:
    current: Summary
    alternative: Summary
    orders: tuple[OrderComparison, ...]
    location_codes: Mapping[int, str]
    co2_grams_per_kg_km: float = CO2_GRAMS_PER_KG_KM


class _Network:
    """Locations as candidates for any destination."""

    def __init__(self, locations: Sequence[LocationFacts]) -> None:
        self.rows = {facts.id: facts for facts in locations}

    def candidates(
        self, ids: Sequence[int], stock: Mapping[int, Mapping[str, int]], destination: GeoPoint
    ) -> list[Candidate]:
        return [
            self.rows[location_id].candidate(destination, dict(stock.get(location_id, {})))
            for location_id in ids
        ]


async def _orders_by_id(session: AsyncSession, order_ids: Sequence[int]) -> list[SimulatedOrder]:
    wanted = list(dict.fromkeys(order_ids))
    rows = {
        order.id: (order, code)
        for order, code in await session.execute(
            select(Order, Channel.code)
            .join(Channel, Channel.id == Order.channel_id)
            .where(Order.id.in_(wanted))
        )
    }
    missing = [oid for oid in wanted if oid not in rows]
    if missing:
        raise DomainError.single(
            ("orderIds",), ErrorCode.NOT_FOUND, f"unknown order(s): {', '.join(map(str, missing))}"
        )
    lines: dict[int, dict[str, int]] = {}
    for order_id, sku, quantity in await session.execute(
        select(OrderLine.order_id, Product.sku, OrderLine.quantity - OrderLine.quantity_cancelled)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id.in_(wanted))
    ):
        if quantity > 0:
            lines.setdefault(order_id, {})[sku] = int(quantity)
    pickups = {
        row.id: point_of(row)
        for row in await session.scalars(
            select(Location).where(
                Location.id.in_(
                    {o.pickup_location_id for o, _ in rows.values() if o.pickup_location_id}
                )
            )
        )
    }
    found = []
    for order_id in wanted:
        order, channel = rows[order_id]
        if order.pickup_location_id is not None:
            destination = pickups[order.pickup_location_id]
        elif order.ship_latitude is not None and order.ship_longitude is not None:
            destination = GeoPoint(order.ship_latitude, order.ship_longitude)
        else:
            continue  # no point to measure from: nothing to replay
        if order_id not in lines:
            continue  # fully cancelled
        found.append(
            SimulatedOrder(
                reference=order_number(order.id),
                channel=channel,
                method=DeliveryMethod(order.delivery_method),
                lines=lines[order_id],
                destination=destination,
                pickup_location_id=order.pickup_location_id,
            )
        )
    return found


_HOLDING = (
    FulfillmentStatus.OPEN,
    FulfillmentStatus.RELEASED,
    FulfillmentStatus.ACCEPTED,
    FulfillmentStatus.PICKING,
    FulfillmentStatus.PACKED,
    FulfillmentStatus.READY_FOR_PICKUP,
)


async def _held_by(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Units the replayed orders hold, per location: available again when they are re-sourced."""
    held: dict[int, dict[str, int]] = {}
    rows = await session.execute(
        select(FulfillmentOrder.location_id, Product.sku, FulfillmentOrderLine.quantity)
        .join(
            FulfillmentOrderLine,
            FulfillmentOrderLine.fulfillment_order_id == FulfillmentOrder.id,
        )
        .join(OrderLine, OrderLine.id == FulfillmentOrderLine.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(
            FulfillmentOrder.order_id.in_(set(order_ids)),
            FulfillmentOrder.status.in_([s.value for s in _HOLDING]),
        )
    )
    for location_id, sku, quantity in rows:
        units = held.setdefault(location_id, {})
        units[sku] = units.get(sku, 0) + quantity
    return held


async def _sample(
    session: AsyncSession, size: int, seed: int, stocked: Sequence[StockedLocation]
) -> list[SimulatedOrder]:
    totals: dict[str, int] = {}
    for item in stocked:
        for sku, units in item.available.items():
            totals[sku] = totals.get(sku, 0) + units
    skus = sorted(totals, key=lambda sku: (-totals[sku], sku))[:SAMPLE_SKUS]
    points = [
        point_of(row) for row in await session.scalars(select(Location).order_by(Location.id))
    ]
    return sample_orders(sorted(skus), points, size, seed)


def _check(request: SimulationRequest) -> None:
    size = request.sample_size
    problems: list[Problem] = []
    if size is not None and size <= 0:
        problems.append(Problem(("sampleSize",), ErrorCode.INVALID, "sampleSize must be > 0"))
    count = len(request.order_ids) if request.order_ids else (size or DEFAULT_SAMPLE)
    if request.max_orders is not None and count > request.max_orders:
        field = "orderIds" if request.order_ids else "sampleSize"
        problems.append(
            Problem((field,), ErrorCode.INVALID, f"at most {request.max_orders} orders at a time")
        )
    if problems:
        raise DomainError(problems)


async def simulate(
    services: Services,
    request: SimulationRequest,
    *,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> SimulationReport:
    """Replay the orders against the current rules, then the alternative; change nothing.

    ``on_total`` hears how many decisions will be made (orders x 2) and ``progress`` is
    called with 1 after each, for a progress bar.
    """
    _check(request)
    currency = services.settings.default_currency
    alternative_doc = request.alternative
    async with services.db.read_session() as session:
        location_ids = await resolve_codes(
            session, alternative_doc.sourcing, alternative_doc.sourcing_exclusion
        )
        current_rules = await load_rules(session, currency)
        if request.order_ids:
            orders = await _orders_by_id(session, request.order_ids)
            skus = {sku for order in orders for sku in order.lines}
        else:
            orders = []
            skus = set()
        products = {
            row.sku: row
            for row in await session.scalars(
                select(Product).where(Product.sku.in_(skus)) if skus else select(Product)
            )
        }
        stocked = await stocked_locations(session, products, services.catalog)
        held = await _held_by(session, request.order_ids) if request.order_ids else {}
        if not request.order_ids:
            orders = await _sample(
                session, request.sample_size or DEFAULT_SAMPLE, request.seed, stocked
            )
            products = {sku: products[sku] for order in orders for sku in order.lines}
        now = services.clock()
        incoming, supply_rows = await incoming_supply(session, products, services.catalog)
        everywhere = [
            location_facts(row)
            for row in await session.scalars(select(Location).order_by(Location.id))
        ]
        counts = await orders_today(session, everywhere, now)
    alternative_rules = sourcing_rules_from(
        alternative_doc.sourcing,
        alternative_doc.sourcing_exclusion,
        alternative_doc.sourcing_margin,
        location_ids,
        currency,
    )
    network = _Network(everywhere)
    start = {item.location.id: dict(item.available) for item in stocked}
    for location_id, units in held.items():
        into = start.setdefault(location_id, {})
        for sku, quantity in units.items():
            into[sku] = into.get(sku, 0) + quantity
    weights = {sku: product.weight_grams for sku, product in products.items()}
    today = now.astimezone(UTC).date()
    plugins = plugin_sourcing(services)
    rates = sourcing_rates(services)
    if on_total is not None:
        on_total(2 * len(orders))

    def run(rules: SourcingRules) -> list[Outcome]:
        inputs = SourcingInputs(rules, counts, incoming, tuple(supply_rows.values()))

        def decide_one(order: SimulatedOrder, ledger: StockLedger) -> SourcingDecision | NoPlan:
            holders = ledger.holders(order.lines)
            candidates = network.candidates(holders, ledger.stock, order.destination)
            sources = sourcing_candidates(
                candidates, network.rows, inputs, order.destination, currency
            )
            return decide_sourcing(
                SourcingRequest(
                    channel=order.channel,
                    method=order.method,
                    lines=order.lines,
                    candidates=sources,
                    now=now,
                    weights_grams={sku: weights[sku] for sku in order.lines},
                    only_location_id=order.pickup_location_id
                    if order.method.is_collection
                    else None,
                    currency=currency,
                ),
                rules,
                rates=rates,
                filters=plugins.filters,
                cost_terms=plugins.terms,
            )

        def deadline(order: SimulatedOrder) -> date:
            # One yardstick for both rule sets: the current rules' SLA for the method.
            return sla_deadline(current_rules, order.channel, order.method, today)

        return replay(
            orders,
            decide_one,
            StockLedger.of(start),
            weights,
            deadline,
            (lambda: progress(1)) if progress is not None else None,
        )

    # Thousands of decisions are CPU work: off the event loop, so the server keeps answering.
    current = await asyncio.to_thread(run, current_rules)
    alternative = await asyncio.to_thread(run, alternative_rules)
    return SimulationReport(
        current=summarise(current, currency),
        alternative=summarise(alternative, currency),
        orders=tuple(
            OrderComparison(order, a, b)
            for order, a, b in zip(orders, current, alternative, strict=True)
        ),
        location_codes={row.id: row.code for row in everywhere},
    )


def parse_alternative(text: str) -> RulesDocument:
    """Alternative rules written like the rules file; only its sourcing sections are used
    (a whole rules file may be given: its inventory sections are validated, then ignored)."""
    try:
        document = parse_rules(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise DomainError.single(
            ("alternativeRules",), ErrorCode.INVALID, f"not valid TOML: {error}"
        ) from None
    except DomainError as error:
        raise DomainError(
            [Problem(("alternativeRules", *p.field), p.code, p.message) for p in error.problems]
        ) from None
    return document
