"""Loading lifecycle rows for a change, moving them through their state machines, and
rolling the order's status up from its fulfilment orders.

Every move checks the domain's transition table, writes the timeline entry and the event
(``services.timeline.record_change``) and only then changes the row, so an illegal move
raises before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from omnigraph.db.models import FulfillmentOrder, FulfillmentOrderLine, Order, OrderLine, Shipment
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.lifecycle import (
    FULFILLMENT_TRANSITIONS,
    ORDER_TRANSITIONS,
    SHIPMENT_TRANSITIONS,
    StateT,
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


class Stateful(Protocol):
    """A row with a lifecycle: an order, fulfilment order, shipment or return."""

    id: int
    status: str
    updated_at: datetime


def move_row(
    uow: UnitOfWork,
    row: Stateful,
    target: StateT,
    transitions: Mapping[StateT, frozenset[StateT]],
    *,
    kind: str,
    subject: Subject,
    order_id: int,
    reason: str | None,
    details: Mapping[str, Any] | None,
    field: tuple[str, ...],
) -> None:
    """Move ``row`` to ``target`` if ``transitions`` allows it (INVALID_TRANSITION on
    ``field`` naming the ``kind`` otherwise), recording the timeline entry and its event."""
    current = type(target)(row.status)
    check_transition(kind, transitions, current, target, field)
    record_change(
        uow,
        order_id=order_id,
        subject=subject,
        subject_id=row.id,
        before=current.value,
        after=target.value,
        reason=reason,
        details=details,
    )
    row.status = target.value
    row.updated_at = uow.now()


def move_order(
    uow: UnitOfWork,
    order: Order,
    target: OrderStatus,
    reason: str | None,
    details: Mapping[str, Any] | None = None,
    field: tuple[str, ...] = ("orderId",),
) -> None:
    move_row(
        uow,
        order,
        target,
        ORDER_TRANSITIONS,
        kind="order",
        subject=Subject.ORDER,
        order_id=order.id,
        reason=reason,
        details=details,
        field=field,
    )


def move_fulfilment(
    uow: UnitOfWork,
    fulfilment: FulfillmentOrder,
    target: FulfillmentStatus,
    reason: str | None,
    details: Mapping[str, Any] | None = None,
    field: tuple[str, ...] = ("fulfillmentOrderId",),
) -> None:
    move_row(
        uow,
        fulfilment,
        target,
        FULFILLMENT_TRANSITIONS,
        kind="fulfilment order",
        subject=Subject.FULFILLMENT_ORDER,
        order_id=fulfilment.order_id,
        reason=reason,
        details={"locationId": fulfilment.location_id, "kind": fulfilment.kind, **(details or {})},
        field=field,
    )


def move_shipment(
    uow: UnitOfWork,
    shipment: Shipment,
    target: ShipmentStatus,
    reason: str | None,
    details: Mapping[str, Any] | None = None,
    field: tuple[str, ...] = ("status",),
) -> None:
    move_row(
        uow,
        shipment,
        target,
        SHIPMENT_TRANSITIONS,
        kind="shipment",
        subject=Subject.SHIPMENT,
        order_id=shipment.order_id,
        reason=reason,
        details={
            "fulfillmentOrderId": shipment.fulfillment_order_id,
            "trackingNumber": shipment.tracking_number,
            **(details or {}),
        },
        field=field,
    )


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
