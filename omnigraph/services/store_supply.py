"""Store transfers for collections: units a pickup or curbside store lacks are sent to it
from another location, and the order is ready when they arrive.

Capture (``plan_store_supply``, ``send_to_store``) and a re-route (``plan_transfer``,
``open_transfers``) plan a transfer the same way: like a standard shipment to the store's
address, from the other stocked locations, now and without backorders. Each transfer is
a TRANSFER fulfilment order with a ``Transfer`` row (destination and expected arrival);
the order's ready-by moves to the arrival (``move_ready_by``). Receiving it is
``services.transfers``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from omnigraph.db.mapping import point_of
from omnigraph.db.models import FulfillmentOrder, Location, Order, OrderLine, Product, Transfer
from omnigraph.domain.promise import PlanRefusal, Unavailable
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentKind
from omnigraph.services.fulfilment_orders import open_fulfilment, planned_commits
from omnigraph.services.inventory import StockCommit
from omnigraph.services.network import StockedLocation, to_candidates
from omnigraph.services.promise import MethodQuote, quote_method
from omnigraph.services.sourcing import SourcingInputs
from omnigraph.services.sourcing_trace import DecisionPart
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services


async def plan_transfer(
    services: Services,
    store: Location,
    quantities: Mapping[str, int],
    products: Mapping[str, Product],
    stocked: Sequence[StockedLocation],
    now: datetime,
    *,
    currency: str,
    channel: str,
    inputs: SourcingInputs | None,
) -> MethodQuote | PlanRefusal:
    """How ``quantities`` (SKU -> units) reach ``store`` from the other stocked locations:
    planned like a standard shipment to the store's address, now, without backorders.
    The quote's latest day is the transfer's expected arrival."""
    destination = point_of(store)
    sources = [item for item in stocked if item.location.id != store.id]
    return await quote_method(
        services,
        DeliveryMethod.SHIP_STANDARD,
        dict(quantities),
        products,
        to_candidates(sources, destination),
        {item.location.id: item.location for item in sources},
        destination,
        store.postal_code,
        now,
        currency=currency,
        channel=channel,
        inputs=inputs,
        backorders=False,
    )


@dataclass(frozen=True)
class StoreSupply:
    """A collection its store can only partly serve: the store's own units (``pickup``,
    None when it has none of them) and the transfers bringing it the rest."""

    pickup: MethodQuote | None
    transfers: tuple[MethodQuote, ...]

    @property
    def arrival(self) -> date:
        """When the last transfer reaches the store."""
        return max(quote.window.latest for quote in self.transfers)


def placed_at(sourced: MethodQuote | StoreSupply) -> set[int]:
    """The locations an order sourced so receives fulfilment orders at: the plan's, or for
    a collection its store supplies, the store (when it has some of the goods) and every
    location sending it the rest."""
    if isinstance(sourced, MethodQuote):
        return set(sourced.plan.location_ids)
    quotes = [*([sourced.pickup] if sourced.pickup is not None else []), *sourced.transfers]
    return {location_id for quote in quotes for location_id in quote.plan.location_ids}


async def plan_store_supply(
    services: Services,
    method: DeliveryMethod,
    store: Location,
    lines: Mapping[str, int],
    products: Mapping[str, Product],
    stocked: Sequence[StockedLocation],
    now: datetime,
    *,
    currency: str,
    channel: str,
    inputs: SourcingInputs | None,
) -> StoreSupply | None:
    """Serve a collection at ``store`` with what it has and transfers for the rest.

    The store's own units are sourced for ``method`` as capture would; the units it lacks
    are planned with ``plan_transfer``, all together or else SKU by SKU. None when some
    units can be neither collected at the store nor sent there.
    """
    destination = point_of(store)
    own_stock = next((item.available for item in stocked if item.location.id == store.id), {})
    own = {sku: min(qty, own_stock.get(sku, 0)) for sku, qty in lines.items() if own_stock.get(sku)}
    pickup: MethodQuote | None = None
    if own:
        quoted = await quote_method(
            services,
            method,
            own,
            products,
            to_candidates(stocked, destination),
            {item.location.id: item.location for item in stocked},
            destination,
            store.postal_code,
            now,
            pickup_location_id=store.id,
            currency=currency,
            channel=channel,
            inputs=inputs,
            backorders=False,
        )
        # A store whose rules keep its units back (a minimum stock) gets them all sent.
        pickup = quoted if isinstance(quoted, MethodQuote) else None
    kept = pickup.plan.allocations[0].quantities if pickup is not None else {}
    missing = {sku: qty - kept.get(sku, 0) for sku, qty in lines.items()}
    missing = {sku: qty for sku, qty in missing.items() if qty > 0}
    if not missing:
        return None  # the store has it all: not a transfer's business

    async def plan(quantities: Mapping[str, int]) -> MethodQuote | PlanRefusal:
        return await plan_transfer(
            services,
            store,
            quantities,
            products,
            stocked,
            now,
            currency=currency,
            channel=channel,
            inputs=inputs,
        )

    whole = await plan(missing)
    if isinstance(whole, MethodQuote):
        return StoreSupply(pickup, (whole,))
    transfers: list[MethodQuote] = []
    for sku, qty in sorted(missing.items()):
        single = await plan({sku: qty})
        if not isinstance(single, MethodQuote):
            return None
        transfers.append(single)
    return StoreSupply(pickup, tuple(transfers))


# Why a collection's quote fails when its store lacks units: short, or not a candidate at
# all because it holds none of the cart (validation checks the store's capabilities first).
STORE_SHORT = (Unavailable.INSUFFICIENT_STOCK, Unavailable.NO_CAPABLE_LOCATION)


def own_plan(sourced: MethodQuote | StoreSupply) -> MethodQuote | None:
    """The part of a sourced order its own fulfilment orders carry (None: all transferred)."""
    return sourced.pickup if isinstance(sourced, StoreSupply) else sourced


def decision_parts(
    sourced: MethodQuote | StoreSupply, store: Location | None
) -> list[DecisionPart]:
    """The sourcing decisions that explain a sourced order: its own plan's, then each
    transfer's under a label naming the store."""
    own = own_plan(sourced)
    parts = [DecisionPart(own.decision)] if own is not None else []
    if isinstance(sourced, StoreSupply) and store is not None:
        label = f"transfer to {store.code}"
        parts.extend(DecisionPart(quote.decision, label) for quote in sourced.transfers)
    return parts


@dataclass(frozen=True)
class SentToStore:
    """What ``send_to_store`` opened: the stock to hold at the sending locations, and one
    ``{fulfillmentOrderId, fromLocationId, toLocationId, expectedArrival}`` per transfer
    for the order's event."""

    commits: list[StockCommit]
    facts: list[dict[str, object]]


async def send_to_store(
    uow: UnitOfWork,
    order: Order,
    sourced: MethodQuote | StoreSupply,
    store: Location | None,
    lines: Mapping[str, OrderLine],
    products: Mapping[str, Product],
) -> SentToStore:
    """Open the TRANSFER fulfilment orders of a ``StoreSupply`` (nothing for a plain
    quote) and move the order's ready-by to their arrival. Holding the returned stock is
    the caller's step, with the rest of the order's, so it is held all at once or not."""
    if not isinstance(sourced, StoreSupply) or not sourced.transfers:
        return SentToStore([], [])
    if store is None:
        raise ValueError("a store transfer needs the collection store")
    commits: list[StockCommit] = []
    facts: list[dict[str, object]] = []
    why = f"transfer to {store.code} for collection"
    for quote in sourced.transfers:
        for fulfilment in await open_transfers(uow, order.id, store, quote, lines, why):
            facts.append(
                {
                    "fulfillmentOrderId": fulfilment.id,
                    "fromLocationId": fulfilment.location_id,
                    "toLocationId": store.id,
                    "expectedArrival": quote.window.latest.isoformat(),
                }
            )
        commits.extend(planned_commits(quote.plan, products))
    move_ready_by(uow, order, store, sourced.arrival)
    return SentToStore(commits, facts)


async def open_transfers(
    uow: UnitOfWork,
    order_id: int,
    store: Location,
    quote: MethodQuote,
    lines: Mapping[str, OrderLine],
    reason: str,
) -> list[FulfillmentOrder]:
    """One OPEN TRANSFER fulfilment order per sending location of ``quote`` (from
    ``plan_transfer``), each with its ``Transfer`` row to ``store``. Holding the stock at
    the sending locations is the caller's step, as for ``open_fulfilment``."""
    arrival = quote.window.latest
    created: list[FulfillmentOrder] = []
    for allocation in quote.plan.allocations:
        fulfilment = await open_fulfilment(
            uow,
            order_id,
            FulfillmentKind.TRANSFER,
            allocation.candidate.location_id,
            round(allocation.candidate.distance_km, 3),
            allocation.quantities,
            lines,
            reason,
            {"transferTo": store.id, "expectedArrival": arrival.isoformat()},
        )
        uow.session.add(
            Transfer(
                fulfillment_order_id=fulfilment.id,
                destination_location_id=store.id,
                expected_arrival=arrival,
            )
        )
        created.append(fulfilment)
    return created


def move_ready_by(uow: UnitOfWork, order: Order, store: Location, arrival: date) -> None:
    """The order is ready no earlier than a transfer reaches ``store``: move its promised
    ready-by to ``arrival`` (with a timeline entry) unless it is already that late."""
    if order.promised_latest is not None and order.promised_latest >= arrival:
        return
    before = {
        "earliest": order.promised_earliest.isoformat() if order.promised_earliest else None,
        "latest": order.promised_latest.isoformat() if order.promised_latest else None,
    }
    order.promised_earliest = max(order.promised_earliest or arrival, arrival)
    order.promised_latest = arrival
    record_change(
        uow,
        order_id=order.id,
        subject=Subject.ORDER,
        subject_id=order.id,
        before=order.status,
        after=order.status,
        reason=f"ready-by moved: a transfer reaches {store.code} by {arrival.isoformat()}",
        details={"promisedBefore": before, "promisedLatest": arrival.isoformat()},
        publish=False,
    )
