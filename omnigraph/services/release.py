"""Release: orders leave the remorse window and go to their locations.

``release_order`` releases one order at once (a console's "release now"); ``release_due``
is the scheduler's job and releases every order whose window has ended. The state lives in
the orders table, so a restarted process releases what it missed on its first run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from omnigraph.db.models import FulfillmentOrder, Location, Order
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.lifecycle import ORDER_TRANSITIONS, check_transition
from omnigraph.domain.vocabulary import FulfillmentStatus, OrderStatus, PaymentStatus
from omnigraph.events.types import Topic
from omnigraph.services.pick_lists import pick_list
from omnigraph.services.transitions import locked_order, move_fulfilment, move_order
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

logger = logging.getLogger(__name__)

SCHEDULER_ACTOR = "scheduler:release"
# Orders released per scheduler run; the next run carries on with the rest.
BATCH = 200
_FIELD = ("orderId",)
_RELEASABLE = (OrderStatus.PENDING.value, OrderStatus.CONFIRMED.value)


@dataclass(frozen=True, slots=True)
class ReleaseOutcome:
    order: Order
    replayed: bool = False


async def release_fulfilment(uow: UnitOfWork, fulfilment: FulfillmentOrder, reason: str) -> None:
    """OPEN -> RELEASED, and a ``fulfillment.released`` event carrying the pick list for the
    location's system (a WMS or a store app listening through ``omnigraph_handle_event``)."""
    move_fulfilment(uow, fulfilment, FulfillmentStatus.RELEASED, reason)
    await uow.session.flush()
    location = await uow.session.get(Location, fulfilment.location_id)
    assert location is not None
    lines = await pick_list(uow.session, fulfilment)
    uow.record(
        Topic.FULFILLMENT_RELEASED,
        "fulfillment_order",
        fulfilment.id,
        {
            "fulfillmentOrderId": fulfilment.id,
            "orderId": fulfilment.order_id,
            "locationId": location.id,
            "locationCode": location.code,
            "kind": fulfilment.kind,
            "pickList": [line.as_payload() for line in lines],
        },
        order_id=fulfilment.order_id,
    )


async def release_order(
    services: Services, order_id: int, *, actor: str | None = None, reason: str | None = None
) -> ReleaseOutcome:
    """Release an order now, even inside its remorse window; its fulfilment orders become
    RELEASED. Releasing a released order again changes nothing (``replayed``)."""
    async with services.unit_of_work(actor=actor) as uow:
        order = await locked_order(uow, order_id)
        current = OrderStatus(order.status)
        open_fulfilments = list(
            await uow.session.scalars(
                select(FulfillmentOrder)
                .where(
                    FulfillmentOrder.order_id == order.id,
                    FulfillmentOrder.status == FulfillmentStatus.OPEN.value,
                )
                .order_by(FulfillmentOrder.id)
            )
        )
        if current is OrderStatus.RELEASED and not open_fulfilments:
            return ReleaseOutcome(order, replayed=True)
        if current is OrderStatus.PENDING:
            check_transition(
                "order", ORDER_TRANSITIONS, OrderStatus.CONFIRMED, OrderStatus.RELEASED, _FIELD
            )
        else:
            check_transition("order", ORDER_TRANSITIONS, current, OrderStatus.RELEASED, _FIELD)
        if order.payment_status == PaymentStatus.ON_HOLD.value:
            raise DomainError.single(
                ("orderId",),
                ErrorCode.INVALID_TRANSITION,
                "the payment of this order is on hold; it cannot be released",
            )
        why = reason or (
            "remorse window ended" if actor == SCHEDULER_ACTOR else "released on request"
        )
        if current is OrderStatus.PENDING:
            move_order(uow, order, OrderStatus.CONFIRMED, why)
        move_order(uow, order, OrderStatus.RELEASED, why)
        for fulfilment in open_fulfilments:
            await release_fulfilment(uow, fulfilment, why)
        await uow.session.flush()
        await uow.commit()
        return ReleaseOutcome(order)


async def due_orders(services: Services, limit: int = BATCH) -> list[int]:
    """Orders whose remorse window has ended and that are not released yet, oldest first."""
    async with services.db.read_session() as session:
        rows = await session.scalars(
            select(Order.id)
            .where(
                Order.status.in_(_RELEASABLE),
                Order.remorse_ends_at <= services.clock(),
                Order.payment_status != PaymentStatus.ON_HOLD.value,
            )
            .order_by(Order.remorse_ends_at, Order.id)
            .limit(limit)
        )
        return list(rows)


async def release_due(services: Services) -> int:
    """The scheduler's job: release every order due now; how many were released.

    An order that cannot be released (cancelled meanwhile, say) is logged and skipped, so
    one bad order never holds back the others.
    """
    released = 0
    for order_id in await due_orders(services):
        try:
            outcome = await release_order(services, order_id, actor=SCHEDULER_ACTOR)
        except DomainError as error:
            logger.info("order %d not released: %s", order_id, error)
            continue
        released += 0 if outcome.replayed else 1
    return released
