"""Opening an order's fulfilment orders, and cancelling them with the stock they hold.

A new one is OPEN, carries its units on the order's lines and is announced by a
``fulfillment.created`` event in the caller's transaction. Holding its stock is the
caller's step: capture may convert a checkout hold, a re-route commits each one at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select

from omnigraph.db.models import FulfillmentOrder, FulfillmentOrderLine, OrderLine, Product
from omnigraph.domain.promise import FulfilmentPlan
from omnigraph.domain.vocabulary import FulfillmentKind, FulfillmentStatus
from omnigraph.events.types import Topic
from omnigraph.services.inventory import StockCommit, release_stock
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.transitions import move_fulfilment
from omnigraph.services.unit_of_work import UnitOfWork


def fulfilment_created_payload(
    fulfilment_id: int,
    location_id: int,
    kind: str,
    status: str,
    units: Mapping[str, int],
    reason: str | None,
    extra: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """What ``fulfillment.created`` tells its consumers."""
    return {
        "fulfillmentOrderId": fulfilment_id,
        "locationId": location_id,
        "kind": kind,
        "status": status,
        "lines": dict(units),
        **({"reason": reason} if reason is not None else {}),
        **(extra or {}),
    }


async def open_fulfilment(
    uow: UnitOfWork,
    order_id: int,
    kind: FulfillmentKind,
    location_id: int,
    distance_km: float,
    units: Mapping[str, int],
    lines: Mapping[str, OrderLine],
    reason: str | None,
    extra: Mapping[str, object] | None = None,
) -> FulfillmentOrder:
    """Add an OPEN fulfilment order at ``location_id`` carrying ``units`` (SKU -> quantity
    of its order line in ``lines``) and write its ``fulfillment.created`` event.

    With a ``reason`` (a change, a re-route) the event carries it and the timeline gets the
    fulfilment order's entry; without one (capture) ``record_capture`` writes the entry with
    the order's. ``extra`` adds facts to the event (a transfer's destination and arrival).
    """
    now = uow.now()
    fulfilment = FulfillmentOrder(
        order_id=order_id,
        location_id=location_id,
        kind=kind.value,
        status=FulfillmentStatus.OPEN.value,
        distance_km=distance_km,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(fulfilment)
    await uow.session.flush()
    uow.session.add_all(
        FulfillmentOrderLine(
            fulfillment_order_id=fulfilment.id, order_line_id=lines[sku].id, quantity=quantity
        )
        for sku, quantity in units.items()
    )
    uow.record(
        Topic.FULFILLMENT_CREATED,
        "fulfillment_order",
        fulfilment.id,
        fulfilment_created_payload(
            fulfilment.id, location_id, kind.value, fulfilment.status, units, reason, extra
        ),
        order_id=order_id,
    )
    if reason is not None:
        record_change(
            uow,
            order_id=order_id,
            subject=Subject.FULFILLMENT_ORDER,
            subject_id=fulfilment.id,
            before=None,
            after=FulfillmentStatus.OPEN.value,
            reason=reason,
            details={"locationId": location_id, "kind": kind.value},
            publish=False,
        )
    return fulfilment


async def open_planned(
    uow: UnitOfWork,
    order_id: int,
    plan: FulfilmentPlan,
    lines: Mapping[str, OrderLine],
    reason: str | None,
) -> list[FulfillmentOrder]:
    """One fulfilment order per location of ``plan`` (see ``open_fulfilment``)."""
    kind = FulfillmentKind.PICKUP if plan.method.is_collection else FulfillmentKind.SHIP
    return [
        await open_fulfilment(
            uow,
            order_id,
            kind,
            allocation.candidate.location_id,
            round(allocation.candidate.distance_km, 3),
            allocation.quantities,
            lines,
            reason,
        )
        for allocation in plan.allocations
    ]


def planned_commits(plan: FulfilmentPlan, products: Mapping[str, Product]) -> list[StockCommit]:
    """The stock ``plan`` holds: each location's units of each SKU."""
    return [
        StockCommit(allocation.candidate.location_id, products[sku].id, sku, quantity)
        for allocation in plan.allocations
        for sku, quantity in allocation.quantities.items()
    ]


async def cancel_fulfilments(
    uow: UnitOfWork, order_id: int, statuses: Collection[FulfillmentStatus], reason: str
) -> None:
    """Give back the stock the order's fulfilment orders in ``statuses`` hold and cancel
    them (each with its timeline entry and ``fulfillment.status_changed`` event)."""
    rows = await uow.session.execute(
        select(FulfillmentOrder, FulfillmentOrderLine, OrderLine.product_id, Product.sku)
        .join(
            FulfillmentOrderLine, FulfillmentOrderLine.fulfillment_order_id == FulfillmentOrder.id
        )
        .join(OrderLine, OrderLine.id == FulfillmentOrderLine.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(
            FulfillmentOrder.order_id == order_id,
            FulfillmentOrder.status.in_([status.value for status in statuses]),
        )
    )
    releases: list[StockCommit] = []
    fulfilments: dict[int, FulfillmentOrder] = {}
    for fulfilment, fo_line, product_id, sku in rows:
        fulfilments[fulfilment.id] = fulfilment
        releases.append(StockCommit(fulfilment.location_id, product_id, sku, fo_line.quantity))
    await release_stock(uow, releases, order_id)
    for fulfilment in fulfilments.values():
        move_fulfilment(uow, fulfilment, FulfillmentStatus.CANCELLED, reason)
