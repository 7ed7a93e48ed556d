"""SLA milestones: when an order must be released, shipped, ready for pickup and delivered
by, from its remorse window and its promise; and which milestones an order has missed.

Promised dates are days; a milestone on a day falls due at the end of that day (UTC). The
ship-by is the deliver-by less the transit the promise assumed (``ship_by``), worked out
when the order is sourced and stored with it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from omnigraph.domain.promise import SAME_DAY_HANDOVER, Window
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentStatus, OrderStatus

O = OrderStatus  # noqa: E741
F = FulfillmentStatus


class Milestone(StrEnum):
    RELEASE_BY = "RELEASE_BY"
    SHIP_BY = "SHIP_BY"
    READY_BY = "READY_BY"
    DELIVER_BY = "DELIVER_BY"


_FINAL = frozenset({O.COMPLETED, O.CANCELLED})
_UNRELEASED = frozenset({O.PENDING, O.CONFIRMED, O.ON_HOLD})
_STAGED = frozenset({F.READY_FOR_PICKUP, F.PICKED_UP})
_GONE = frozenset({F.SHIPPED, F.DELIVERED})


@dataclass(frozen=True, slots=True)
class OrderClock:
    """What the milestones of one order are decided from."""

    status: OrderStatus
    method: DeliveryMethod
    remorse_ends_at: datetime | None
    promised_latest: date | None
    # Statuses of its live fulfilment orders (not rejected or cancelled): the customer's,
    # and the transfers still on their way to a collection store (never staged).
    fulfilments: Collection[FulfillmentStatus] = ()
    ship_by: datetime | None = None


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def milestones(order: OrderClock, release_grace: timedelta) -> dict[Milestone, datetime]:
    """Each milestone that applies to the order, with the moment it falls due."""
    due: dict[Milestone, datetime] = {}
    if order.remorse_ends_at is not None:
        due[Milestone.RELEASE_BY] = order.remorse_ends_at + release_grace
    if order.ship_by is not None and not order.method.is_collection:
        due[Milestone.SHIP_BY] = order.ship_by
    if order.promised_latest is not None:
        key = Milestone.READY_BY if order.method.is_collection else Milestone.DELIVER_BY
        due[key] = end_of(order.promised_latest)
    return due


def _met(order: OrderClock, milestone: Milestone) -> bool:
    if order.status in _FINAL:
        return True
    if milestone is Milestone.RELEASE_BY:
        return order.status not in _UNRELEASED
    if milestone is Milestone.SHIP_BY:
        return bool(order.fulfilments) and all(s in _GONE for s in order.fulfilments)
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


@dataclass(frozen=True, slots=True)
class Dispatch:
    """One package of a delivery promise: the day it leaves its location and the window
    the promise gave it (from the sourcing decision)."""

    leaves_on: date
    window: Window


def business_days_between(start: date, end: date) -> int:
    """Carrier days (Monday to Friday) after ``start`` up to and including ``end``."""
    days, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days += 1
    return days


def subtract_business_days(end: date, days: int) -> date:
    """The day ``days`` carrier days before ``end`` (the inverse of ``add_business_days``)."""
    current, taken = end, 0
    while taken < days:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            taken += 1
    return current


def ship_by(
    method: DeliveryMethod, deliver_by: date | None, packages: Sequence[Dispatch]
) -> datetime | None:
    """When the goods must leave for the promised ``deliver_by`` to hold: the deliver-by
    less the transit each package's promise assumed, the tightest package deciding.

    A carrier package's transit is the carrier days from leaving to its earliest arrival,
    so it must leave by the end of that many carrier days before the deliver-by day. A
    same-day package's transit is the drive after the courier hand-over, taken off the
    moment its promise said it would arrive. None for collections and empty plans.
    """
    if method.is_collection or deliver_by is None or not packages:
        return None
    dues: list[datetime] = []
    for package in packages:
        window = package.window
        if method is DeliveryMethod.SAME_DAY and window.deliver_by and window.ready_at:
            drive = window.deliver_by - window.ready_at - SAME_DAY_HANDOVER
            dues.append(window.deliver_by - drive)
            continue
        transit = business_days_between(package.leaves_on, window.earliest)
        dues.append(end_of(subtract_business_days(deliver_by, transit)))
    return min(dues)
