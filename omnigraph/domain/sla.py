"""SLA milestones: when an order must be released, ready for pickup and delivered by, from
its remorse window and its promise; and which milestones an order has missed.

Promised dates are days; a milestone on a day falls due at the end of that day (UTC).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentStatus, OrderStatus

O = OrderStatus  # noqa: E741
F = FulfillmentStatus


class Milestone(StrEnum):
    RELEASE_BY = "RELEASE_BY"
    READY_BY = "READY_BY"
    DELIVER_BY = "DELIVER_BY"


_FINAL = frozenset({O.COMPLETED, O.CANCELLED})
_UNRELEASED = frozenset({O.PENDING, O.CONFIRMED, O.ON_HOLD})
_STAGED = frozenset({F.READY_FOR_PICKUP, F.PICKED_UP})


@dataclass(frozen=True, slots=True)
class OrderClock:
    """What the milestones of one order are decided from."""

    status: OrderStatus
    method: DeliveryMethod
    remorse_ends_at: datetime | None
    promised_latest: date | None
    # Statuses of its live customer fulfilment orders (not rejected, cancelled or transfers).
    fulfilments: Collection[FulfillmentStatus] = ()


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def milestones(order: OrderClock, release_grace: timedelta) -> dict[Milestone, datetime]:
    """Each milestone that applies to the order, with the moment it falls due."""
    due: dict[Milestone, datetime] = {}
    if order.remorse_ends_at is not None:
        due[Milestone.RELEASE_BY] = order.remorse_ends_at + release_grace
    if order.promised_latest is not None:
        key = Milestone.READY_BY if order.method.is_collection else Milestone.DELIVER_BY
        due[key] = end_of(order.promised_latest)
    return due


def _met(order: OrderClock, milestone: Milestone) -> bool:
    if order.status in _FINAL:
        return True
    if milestone is Milestone.RELEASE_BY:
        return order.status not in _UNRELEASED
    if milestone is Milestone.READY_BY:
        return bool(order.fulfilments) and all(s in _STAGED for s in order.fulfilments)
    return False  # DELIVER_BY is met only by completion


def missed(order: OrderClock, now: datetime, release_grace: timedelta) -> dict[Milestone, datetime]:
    """Milestones past due and not met, with when they fell due."""
    return {
        milestone: due
        for milestone, due in milestones(order, release_grace).items()
        if due <= now and not _met(order, milestone)
    }
