"""Loading lifecycle rows for a change, moving them through their state machines, and
rolling the order's status up from its fulfilment orders.

Every move checks the domain's transition table, writes the timeline entry and the event
(``services.timeline.record_change``) and only then changes the row, so an illegal move
raises before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from omnigraph.db.models import FulfillmentOrder, FulfillmentOrderLine, Order, OrderLine, Shipment
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.lifecycle import (
    FULFILLMENT_TRANSITIONS,
    ORDER_TRANSITIONS,
    SHIPMENT_TRANSITIONS,
    check_transition,
)
from omnigraph.domain.rollup import FulfilmentFacts, OrderLineFacts, rollup_path
from omnigraph.domain.vocabulary import (
    FulfillmentKind,
    FulfillmentStatus,
    OrderStatus,
    ShipmentStatus,
)
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.unit_of_work import UnitOfWork


async def locked_order(uow: UnitOfWork, order_id: int, field: str = "orderId") -> Order:
    """The order, locked for update on PostgreSQL; NOT_FOUND on ``field`` otherwise."""
    query = select(Order).where(Order.id == order_id)
    if not uow.is_sqlite:
        query = query.with_for_update()
    order = await uow.session.scalar(query)
    if order is None:
        raise DomainError.single((field,), ErrorCode.NOT_FOUND, "no such order")
    return order


async def locked_fulfilment(uow: UnitOfWork, fulfilment_id: int) -> tuple[FulfillmentOrder, Order]:
    """A fulfilment order and its order, both locked (order first, as every writer does)."""
    found = await uow.session.scalar(
        select(FulfillmentOrder.order_id).where(FulfillmentOrder.id == fulfilment_id)
    )
    if found is None:
        raise DomainError.single(
            ("fulfillmentOrderId",), ErrorCode.NOT_FOUND, "no such fulfilment order"
        )
    order = await locked_order(uow, found)
    query = select(FulfillmentOrder).where(FulfillmentOrder.id == fulfilment_id)
    if not uow.is_sqlite:
        query = query.with_for_update()
    fulfilment = await uow.session.scalar(query)
    assert fulfilment is not None  # rows are deleted only with their order
    return fulfilment, order


def move_order(
    uow: UnitOfWork,
    order: Order,
    target: OrderStatus,
    reason: str | None,
    details: Mapping[str, Any] | None = None,
    field: tuple[str, ...] = ("orderId",),
) -> None:
    current = OrderStatus(order.status)
    check_transition("order", ORDER_TRANSITIONS, current, target, field)
    record_change(
        uow,
        order_id=order.id,
        subject=Subject.ORDER,
        subject_id=order.id,
        before=current.value,
        after=target.value,
        reason=reason,
        details=details,
    )
    order.status = target.value
    order.updated_at = uow.now()


def move_fulfilment(
    uow: UnitOfWork,
    fulfilment: FulfillmentOrder,
    target: FulfillmentStatus,
    reason: str | None,
    details: Mapping[str, Any] | None = None,
    field: tuple[str, ...] = ("fulfillmentOrderId",),
) -> None:
    current = FulfillmentStatus(fulfilment.status)
    check_transition("fulfilment order", FULFILLMENT_TRANSITIONS, current, target, field)
    record_change(
        uow,
        order_id=fulfilment.order_id,
        subject=Subject.FULFILLMENT_ORDER,
        subject_id=fulfilment.id,
        before=current.value,
        after=target.value,
        reason=reason,
        details={"locationId": fulfilment.location_id, "kind": fulfilment.kind, **(details or {})},
    )
    fulfilment.status = target.value
    fulfilment.updated_at = uow.now()


def move_shipment(
    uow: UnitOfWork,
    shipment: Shipment,
    target: ShipmentStatus,
    reason: str | None,
    details: Mapping[str, Any] | None = None,
    field: tuple[str, ...] = ("status",),
) -> None:
    current = ShipmentStatus(shipment.status)
    check_transition("shipment", SHIPMENT_TRANSITIONS, current, target, field)
    record_change(
        uow,
        order_id=shipment.order_id,
        subject=Subject.SHIPMENT,
        subject_id=shipment.id,
        before=current.value,
        after=target.value,
        reason=reason,
        details={
            "fulfillmentOrderId": shipment.fulfillment_order_id,
            "trackingNumber": shipment.tracking_number,
            **(details or {}),
        },
    )
    shipment.status = target.value
    shipment.updated_at = uow.now()


async def roll_up(uow: UnitOfWork, order: Order, reason: str) -> tuple[OrderStatus, ...]:
    """Move the order along every step its fulfilment orders now imply; the steps taken."""
    session = uow.session
    await session.flush()
    lines = list(await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    fulfilments = list(
        await session.scalars(select(FulfillmentOrder).where(FulfillmentOrder.order_id == order.id))
    )
    carried: dict[int, dict[int, int]] = {f.id: {} for f in fulfilments}
    if fulfilments:
        for row in await session.scalars(
            select(FulfillmentOrderLine).where(
                FulfillmentOrderLine.fulfillment_order_id.in_(list(carried))
            )
        ):
            units = carried[row.fulfillment_order_id]
            units[row.order_line_id] = units.get(row.order_line_id, 0) + row.quantity
    path = rollup_path(
        OrderStatus(order.status),
        [OrderLineFacts(line.id, line.quantity, line.quantity_cancelled) for line in lines],
        [
            FulfilmentFacts(FulfillmentStatus(f.status), carried[f.id], FulfillmentKind(f.kind))
            for f in fulfilments
        ],
    )
    for step in path:
        move_order(uow, order, step, reason)
    return path
