"""Re-routing units a location cannot fulfil (a rejection, a short pick) to other locations.

The units are sourced with the same engine as capture (``services.promise.quote_method``)
from every location with available stock except the ones excluded, committed there, and
released at once as new fulfilment orders; units no location has are backordered.

A pickup store short of units is first sent them by a store transfer
(``services.store_supply``), as at capture.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from omnigraph.db.mapping import point_of
from omnigraph.db.models import (
    Backorder,
    Channel,
    FulfillmentOrder,
    Location,
    Order,
    OrderLine,
    Product,
)
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.promise import PlanRefusal
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentKind
from omnigraph.services.capacity import is_deadlock, places_left
from omnigraph.services.fulfilment_orders import open_fulfilment
from omnigraph.services.inventory import StockCommit, commit_stock
from omnigraph.services.network import stocked_locations, to_candidates
from omnigraph.services.promise import MethodQuote, quote_method
from omnigraph.services.release import release_fulfilment
from omnigraph.services.sla import promised_ship_by
from omnigraph.services.sourcing import load_inputs
from omnigraph.services.sourcing_trace import DecisionPart, replace_decision
from omnigraph.services.store_supply import move_ready_by, open_transfers, plan_transfer
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

T = TypeVar("T")
# Another order may take the stock between planning and committing; each attempt plans
# again from fresh stock, as capture does.
ATTEMPTS = 20


class StockMoved(Exception):
    """A planned location lost the stock to a concurrent order; plan the whole call again."""


async def retrying(operation: Callable[[], Awaitable[T]]) -> T:
    """Run a use case that re-routes, again from the start while its stock keeps moving."""
    for _ in range(ATTEMPTS):
        try:
            return await operation()
        except StockMoved:
            continue
        except DBAPIError as error:
            if not is_deadlock(error):  # PostgreSQL rolled this attempt back: run it again
                raise
            continue
    raise DomainError.single(
        ("fulfillmentOrderId",),
        ErrorCode.INSUFFICIENT_STOCK,
        "the stock to re-route to was taken by other orders; try again",
    )


@dataclass
class Rerouting:
    """New fulfilment orders, and units (by order line id) left backordered."""

    fulfilments: list[FulfillmentOrder] = field(default_factory=list)
    backordered: dict[int, int] = field(default_factory=dict)


def _destination(order: Order, pickup: Location | None) -> GeoPoint:
    if pickup is not None:
        return point_of(pickup)
    if order.ship_latitude is None or order.ship_longitude is None:
        raise RuntimeError(f"order {order.id} has neither a pickup location nor coordinates")
    return GeoPoint(order.ship_latitude, order.ship_longitude)


async def reroute(
    services: Services,
    uow: UnitOfWork,
    order: Order,
    units: Mapping[int, int],
    exclude: Collection[int],
    reason: str,
    *,
    transfer: bool = False,
) -> Rerouting:
    """Source ``units`` (order line id -> quantity) away from ``exclude`` location ids.

    The whole set is planned first; if no plan covers it, each SKU is planned on its own,
    and a SKU no location can take is backordered. With ``transfer``, a pickup order's SKU
    its store cannot supply is first sent there from another location (a TRANSFER
    fulfilment order; the order's ready-by date moves to the expected arrival). Raises
    ``StockMoved`` when a commit loses a race (the caller runs the use case again through
    ``retrying``). The re-route's sourcing decisions (the whole set's, or one per SKU and
    transfer, merged) replace the order's stored one.
    """
    session = uow.session
    wanted = {line_id: qty for line_id, qty in units.items() if qty > 0}
    outcome = Rerouting()
    if not wanted:
        return outcome
    rows = await session.execute(
        select(OrderLine, Product)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.id.in_(list(wanted)))
    )
    line_of_sku: dict[str, OrderLine] = {}
    products: dict[str, Product] = {}
    for line, product in rows:
        line_of_sku[product.sku] = line
        products[product.sku] = product
    pickup = (
        await session.get(Location, order.pickup_location_id)
        if order.pickup_location_id is not None
        else None
    )
    destination = _destination(order, pickup)
    stocked = [
        item
        for item in await stocked_locations(session, products, services.catalog)
        if item.location.id not in set(exclude)
    ]
    locations = {item.location.id: item.location for item in stocked}
    method = DeliveryMethod(order.delivery_method)
    channel = await session.scalar(select(Channel.code).where(Channel.id == order.channel_id))
    assert channel is not None  # orders.channel_id is a foreign key
    now = services.clock()
    # The same rules, day counts and supply as capture; capture's engine, capture's choices.
    inputs = await load_inputs(session, services, stocked, products, now)

    async def quote(quantities: dict[str, int]) -> MethodQuote | PlanRefusal:
        return await quote_method(
            services,
            method,
            quantities,
            products,
            to_candidates(stocked, destination),
            locations,
            destination,
            order.ship_postal_code,
            now,
            pickup_location_id=pickup.id if pickup is not None else None,
            currency=order.currency,
            channel=channel,
            inputs=inputs,
            # Re-routed units are committed now; waiting for supply is a backorder instead.
            backorders=False,
        )

    by_sku = {sku: wanted[line.id] for sku, line in line_of_sku.items()}
    whole = await quote(by_sku)
    plans: list[MethodQuote] = []
    # The order's explanation shows where the re-routed units went and why: the whole
    # set's decision, or each SKU's (and each transfer's) under its name.
    parts: list[DecisionPart] = []
    if isinstance(whole, MethodQuote):
        plans.append(whole)
        parts.append(DecisionPart(whole.decision))
    else:
        for sku, qty in sorted(by_sku.items()):
            single = await quote({sku: qty})
            if isinstance(single, MethodQuote):
                plans.append(single)
                parts.append(DecisionPart(single.decision, sku))
            else:
                outcome.backordered[line_of_sku[sku].id] = qty
    if plans and not method.is_collection:
        # The new locations' transit may be longer: the goods must leave by the tightest.
        dues = [promised_ship_by(plan, order.promised_latest, now) for plan in plans]
        known = [due for due in (*dues, order.ship_by) if due is not None]
        order.ship_by = min(known) if known else None
    placed = {location_id for plan in plans for location_id in plan.plan.location_ids}
    if not await places_left(uow, placed, services.catalog, now):
        raise StockMoved  # a concurrent order took a capped location's last place
    kind = FulfillmentKind.PICKUP if method.is_collection else FulfillmentKind.SHIP
    for plan in plans:
        for allocation in plan.plan.allocations:
            outcome.fulfilments.append(
                await new_fulfilment(
                    uow,
                    order,
                    kind,
                    allocation.candidate.location_id,
                    round(allocation.candidate.distance_km, 3),
                    {line_of_sku[sku]: qty for sku, qty in allocation.quantities.items()},
                    products,
                    reason,
                )
            )
    if transfer and pickup is not None:
        for sku, line in sorted(line_of_sku.items()):
            missing = outcome.backordered.get(line.id, 0)
            if not missing:
                continue
            sent = await plan_transfer(
                services,
                pickup,
                {sku: missing},
                products,
                stocked,
                now,
                currency=order.currency,
                channel=channel,
                inputs=inputs,
            )
            if not isinstance(sent, MethodQuote):
                continue
            if not await places_left(uow, sent.plan.location_ids, services.catalog, now):
                raise StockMoved
            moved = await open_transfers(uow, order.id, pickup, sent, {sku: line}, reason)
            for fulfilment, allocation in zip(moved, sent.plan.allocations, strict=True):
                await hold_and_release(
                    uow, order.id, fulfilment, allocation.quantities, products, reason
                )
            outcome.fulfilments.extend(moved)
            move_ready_by(uow, order, pickup, sent.window.latest)
            parts.append(DecisionPart(sent.decision, f"{sku} by transfer to {pickup.code}"))
            del outcome.backordered[line.id]
    if parts:
        await replace_decision(session, order.id, parts, now, method=order.delivery_method)
    for line_id, qty in sorted(outcome.backordered.items()):
        await _backorder(uow, order, line_id, qty, reason)
    return outcome


async def new_fulfilment(
    uow: UnitOfWork,
    order: Order,
    kind: FulfillmentKind,
    location_id: int,
    distance_km: float,
    quantities: Mapping[OrderLine, int],
    products: Mapping[str, Product],
    reason: str,
    extra: Mapping[str, object] | None = None,
) -> FulfillmentOrder:
    """A fulfilment order for re-routed units, their stock committed, released at once."""
    sku_of = {product.id: sku for sku, product in products.items()}
    lines = {sku_of[line.product_id]: line for line in quantities}
    units = {sku_of[line.product_id]: quantity for line, quantity in quantities.items()}
    fulfilment = await open_fulfilment(
        uow, order.id, kind, location_id, distance_km, units, lines, reason, extra
    )
    await hold_and_release(uow, order.id, fulfilment, units, products, reason)
    return fulfilment


async def hold_and_release(
    uow: UnitOfWork,
    order_id: int,
    fulfilment: FulfillmentOrder,
    units: Mapping[str, int],
    products: Mapping[str, Product],
    reason: str,
) -> None:
    """Commit the ``units`` (SKU -> quantity) a new fulfilment order carries at its
    location and release it; ``StockMoved`` when another order took them first."""
    commits = [
        StockCommit(fulfilment.location_id, products[sku].id, sku, quantity)
        for sku, quantity in units.items()
    ]
    if not await commit_stock(uow, commits, order_id):
        raise StockMoved
    await release_fulfilment(uow, fulfilment, reason)


async def _backorder(
    uow: UnitOfWork, order: Order, line_id: int, quantity: int, reason: str
) -> Backorder:
    line = await uow.session.get(OrderLine, line_id)
    assert line is not None
    backorder = Backorder(
        order_id=order.id,
        order_line_id=line_id,
        quantity=quantity,
        reason=reason,
        created_at=uow.now(),
    )
    uow.session.add(backorder)
    await uow.session.flush()
    record_change(
        uow,
        order_id=order.id,
        subject=Subject.BACKORDER,
        subject_id=backorder.id,
        before=None,
        after="BACKORDERED",
        reason=reason,
        details={"lineNumber": line.line_number, "quantity": quantity},
    )
    return backorder
