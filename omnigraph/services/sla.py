"""The SLA monitor: records each missed milestone once, as an ``sla.breached`` event, tells
the customer about the delay, and lists late orders for consoles.

It runs on a schedule inside the server (``OMNIGRAPH_SLA_CHECK_SECONDS``); the breaches
table is its memory, so a restart neither misses a breach nor reports one twice.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import String, and_, cast, exists, literal, or_, select
from sqlalchemy.exc import IntegrityError

from omnigraph.db.models import Channel, FulfillmentOrder, Notification, Order, SlaBreach
from omnigraph.domain.orders import order_number
from omnigraph.domain.sla import Dispatch, Milestone, OrderClock, missed, ship_by
from omnigraph.domain.vocabulary import (
    DeliveryMethod,
    FulfillmentKind,
    FulfillmentStatus,
    OrderStatus,
)
from omnigraph.events.types import Topic
from omnigraph.messaging import MessageChannel
from omnigraph.services.notifications import (
    CustomerContact,
    CustomerMessage,
    tell_order_customer,
)
from omnigraph.services.timeline import Subject, record_change

if TYPE_CHECKING:
    from omnigraph.services.core import Services
    from omnigraph.services.promise import MethodQuote

logger = logging.getLogger(__name__)

MONITOR_ACTOR = "scheduler:sla"
DELAY_TEMPLATE = "order_delay"
BATCH = 500
_FINAL = (OrderStatus.COMPLETED.value, OrderStatus.CANCELLED.value)
_DEAD = (FulfillmentStatus.REJECTED.value, FulfillmentStatus.CANCELLED.value)
_WHAT = {
    Milestone.RELEASE_BY: "is taking longer than planned to be sent to our store or warehouse",
    Milestone.SHIP_BY: "has not left our store or warehouse yet",
    Milestone.READY_BY: "is not ready for pickup yet",
    Milestone.DELIVER_BY: "has not been delivered yet",
}


@dataclass(frozen=True, slots=True)
class Breach:
    order_id: int
    milestone: Milestone
    due_at: datetime


def promised_ship_by(quote: MethodQuote, deliver_by: date | None, now: datetime) -> datetime | None:
    """The ship-by of a delivery sourced by ``quote`` at ``now`` and promised for
    ``deliver_by``: each package leaves on its location's dispatch day, as promised."""
    packages = [
        Dispatch(package.source.candidate.schedule.dispatch_day(now), package.window)
        for package in quote.decision.packages
    ]
    return ship_by(quote.method, deliver_by, packages)


def _grace(services: Services) -> timedelta:
    return timedelta(minutes=services.settings.sla_release_grace_minutes)


async def check_sla(services: Services) -> list[Breach]:
    """One monitor run: every milestone missed since the last run, recorded and announced."""
    now = services.clock()
    found: list[Breach] = []
    async with services.db.read_session() as session:
        orders = list(
            await session.scalars(
                select(Order)
                .where(
                    Order.status.not_in(_FINAL),
                    or_(
                        Order.remorse_ends_at <= now - _grace(services),
                        Order.ship_by <= now,
                        Order.promised_latest < now.date(),
                    ),
                )
                .order_by(Order.id)
                .limit(BATCH)
            )
        )
        statuses: dict[int, list[FulfillmentStatus]] = {o.id: [] for o in orders}
        if orders:
            for order_id, status in await session.execute(
                select(FulfillmentOrder.order_id, FulfillmentOrder.status).where(
                    FulfillmentOrder.order_id.in_(list(statuses)),
                    FulfillmentOrder.status.not_in(_DEAD),
                    # A transfer still on its way keeps a collection from being ready;
                    # once received, its units are on a pickup fulfilment order.
                    or_(
                        FulfillmentOrder.kind != FulfillmentKind.TRANSFER.value,
                        FulfillmentOrder.status != FulfillmentStatus.DELIVERED.value,
                    ),
                )
            ):
                statuses[order_id].append(FulfillmentStatus(status))
        recorded = {
            (order_id, milestone)
            for order_id, milestone in await session.execute(
                select(SlaBreach.order_id, SlaBreach.milestone).where(
                    SlaBreach.order_id.in_(list(statuses))
                )
            )
        }
    for order in orders:
        clock = OrderClock(
            OrderStatus(order.status),
            DeliveryMethod(order.delivery_method),
            order.remorse_ends_at,
            order.promised_latest,
            statuses[order.id],
            order.ship_by,
        )
        for milestone, due in missed(clock, now, _grace(services)).items():
            if (order.id, milestone.value) not in recorded:
                found.append(Breach(order.id, milestone, due))
    breached = [breach for breach in found if await _record(services, breach)]
    # Every breach not yet told, not only this run's: a run stopped between recording and
    # telling is made good by the next one (the notification key never sends twice).
    for breach in await _untold(services):
        await _tell_customer(services, breach)
    return breached


def _notification_key(order_id: int, milestone: str) -> str:
    return f"sla:{order_id}:{milestone}"


async def _untold(services: Services) -> list[Breach]:
    key = literal("sla:") + cast(SlaBreach.order_id, String) + literal(":") + SlaBreach.milestone
    async with services.db.read_session() as session:
        rows = await session.scalars(
            select(SlaBreach)
            .where(~exists().where(Notification.idempotency_key == key))
            .order_by(SlaBreach.id)
            .limit(BATCH)
        )
        return [Breach(row.order_id, Milestone(row.milestone), row.due_at) for row in rows]


async def _record(services: Services, breach: Breach) -> bool:
    """The breach row, its timeline entry and ``sla.breached``; False if already there."""
    try:
        async with services.unit_of_work(actor=MONITOR_ACTOR) as uow:
            uow.session.add(
                SlaBreach(
                    order_id=breach.order_id,
                    milestone=breach.milestone.value,
                    due_at=breach.due_at,
                    detected_at=uow.now(),
                )
            )
            await uow.session.flush()
            facts = {
                "orderId": breach.order_id,
                "number": order_number(breach.order_id),
                "milestone": breach.milestone.value,
                "dueAt": breach.due_at.isoformat(),
            }
            uow.record(
                Topic.SLA_BREACHED, "order", breach.order_id, facts, order_id=breach.order_id
            )
            record_change(
                uow,
                order_id=breach.order_id,
                subject=Subject.SLA,
                subject_id=breach.order_id,
                before=None,
                after=f"MISSED_{breach.milestone.value}",
                reason=f"{breach.milestone.value} passed at {breach.due_at.isoformat()}",
                details=facts,
                publish=False,
            )
            await uow.commit()
            return True
    except IntegrityError:
        return False  # another process recorded it first


async def _tell_customer(services: Services, breach: Breach) -> None:
    number = order_number(breach.order_id)
    what = _WHAT[breach.milestone]
    email_key = _notification_key(breach.order_id, breach.milestone.value)

    def apology(contact: CustomerContact) -> CustomerMessage:
        return CustomerMessage(
            DELAY_TEMPLATE,
            f"Your order {number} is delayed",
            f"Hello {contact.name or 'there'},\n\nWe are sorry: your order {number} "
            f"{what}. We are on it and will let you know as soon as it moves.\n",
            f"Sorry: your order {number} {what}. We will let you know when it moves.",
            f"Sorry, your order {number} {what}.",
        )

    await tell_order_customer(
        services,
        breach.order_id,
        apology,
        # The e-mail's key is the breach's "told" mark (``_untold``); it goes last.
        key=lambda channel: (
            email_key if channel is MessageChannel.EMAIL else f"{email_key}:{channel.value}"
        ),
    )


@dataclass(frozen=True, slots=True)
class LateOrder:
    order: Order
    milestone: Milestone
    due_at: datetime
    detected_at: datetime


async def late_orders(
    services: Services,
    *,
    milestones: Collection[Milestone] = (),
    channels: Collection[str] = (),
    location_ids: Collection[int] = (),
    limit: int = 100,
) -> Sequence[LateOrder]:
    """Open orders with a missed milestone, most overdue first; filters narrow the list
    (a location filter keeps orders with a live fulfilment order there)."""
    query = (
        select(SlaBreach, Order)
        .join(Order, Order.id == SlaBreach.order_id)
        .where(Order.status.not_in(_FINAL))
    )
    if milestones:
        query = query.where(SlaBreach.milestone.in_([m.value for m in milestones]))
    if channels:
        query = query.join(Channel, Channel.id == Order.channel_id).where(
            Channel.code.in_(list(channels))
        )
    if location_ids:
        query = query.where(
            exists().where(
                and_(
                    FulfillmentOrder.order_id == Order.id,
                    FulfillmentOrder.location_id.in_(list(location_ids)),
                    FulfillmentOrder.status.not_in(_DEAD),
                )
            )
        )
    async with services.db.read_session() as session:
        rows = await session.execute(query.order_by(SlaBreach.due_at, SlaBreach.id).limit(limit))
        return [
            LateOrder(order, Milestone(breach.milestone), breach.due_at, breach.detected_at)
            for breach, order in rows
        ]
