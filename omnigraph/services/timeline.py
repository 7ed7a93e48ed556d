"""The audit trail: every state change of an order and of what belongs to it.

``record_change`` is the one way a lifecycle service writes a state change: it adds the
timeline row (actor, time, reason, before and after) and queues the matching outbox event
in the same unit of work, so the trail, the ``orderEvents`` subscription and the plugins
always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import FulfillmentOrder, Order, TimelineEntry
from omnigraph.domain.orders import order_number
from omnigraph.domain.vocabulary import OrderStatus
from omnigraph.events.types import Topic
from omnigraph.services.lookups import grouped_by
from omnigraph.services.unit_of_work import UnitOfWork


class Subject(StrEnum):
    """What changed state; the timeline of an order holds all of them."""

    ORDER = "ORDER"
    FULFILLMENT_ORDER = "FULFILLMENT_ORDER"
    SHIPMENT = "SHIPMENT"
    BACKORDER = "BACKORDER"
    RETURN = "RETURN"
    SLA = "SLA"


# The outbox topic, aggregate type and payload key of each subject's state changes.
_PUBLISHED: Mapping[Subject, tuple[Topic, str, str]] = {
    Subject.ORDER: (Topic.ORDER_STATUS_CHANGED, "order", "orderId"),
    Subject.FULFILLMENT_ORDER: (
        Topic.FULFILLMENT_STATUS_CHANGED,
        "fulfillment_order",
        "fulfillmentOrderId",
    ),
    Subject.SHIPMENT: (Topic.SHIPMENT_STATUS_CHANGED, "shipment", "shipmentId"),
    Subject.BACKORDER: (Topic.ORDER_BACKORDERED, "backorder", "backorderId"),
    Subject.RETURN: (Topic.RETURN_STATUS_CHANGED, "return", "returnId"),
    Subject.SLA: (Topic.SLA_BREACHED, "order", "orderId"),
}


def record_change(
    uow: UnitOfWork,
    *,
    order_id: int,
    subject: Subject,
    subject_id: int,
    before: str | None,
    after: str,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    publish: bool = True,
) -> None:
    """Add a timeline entry and, unless ``publish`` is False, its status-changed event.

    ``publish=False`` is for changes whose event is already written under its own topic
    (a capture's ``order.created``).
    """
    facts = dict(details or {})
    uow.session.add(
        TimelineEntry(
            order_id=order_id,
            subject_type=subject.value,
            subject_id=subject_id,
            from_status=before,
            to_status=after,
            actor=uow.actor,
            reason=reason,
            details=facts,
            occurred_at=uow.now(),
        )
    )
    if not publish:
        return
    topic, aggregate, key = _PUBLISHED[subject]
    uow.record(
        topic,
        aggregate,
        subject_id,
        {
            key: subject_id,
            "orderId": order_id,
            "number": order_number(order_id),
            "from": before,
            "to": after,
            "reason": reason,
            "actor": uow.actor,
            **facts,
        },
        order_id=order_id,
    )


def record_capture(
    uow: UnitOfWork, order: Order, fulfilments: Iterable[FulfillmentOrder], reason: str | None
) -> None:
    """The first entries of an order's timeline: the order and each fulfilment order as
    captured. Capture writes its own ``order.created`` and ``fulfillment.created`` events,
    so nothing more is published here."""
    record_change(
        uow,
        order_id=order.id,
        subject=Subject.ORDER,
        subject_id=order.id,
        before=None,
        after=order.status,
        reason=reason,
        publish=False,
    )
    for fulfilment in fulfilments:
        record_change(
            uow,
            order_id=order.id,
            subject=Subject.FULFILLMENT_ORDER,
            subject_id=fulfilment.id,
            before=None,
            after=fulfilment.status,
            reason=reason,
            details={"locationId": fulfilment.location_id},
            publish=False,
        )


def record_cancelled(uow: UnitOfWork, order_id: int, before: str, reason: str | None) -> None:
    """The ``order.cancelled`` event, however the order came to be cancelled (whole, or
    its last lines)."""
    uow.record(
        Topic.ORDER_CANCELLED,
        "order",
        order_id,
        {
            "orderId": order_id,
            "number": order_number(order_id),
            "from": before,
            "to": OrderStatus.CANCELLED.value,
            "reason": reason,
        },
        order_id=order_id,
    )


async def timelines_by_order(
    session: AsyncSession, order_ids: Sequence[int]
) -> list[list[TimelineEntry]]:
    """Each order's entries, oldest first: one query for any number of orders."""
    return await grouped_by(
        session, TimelineEntry, TimelineEntry.order_id, order_ids, TimelineEntry.id
    )
