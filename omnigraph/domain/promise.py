"""Delivery promises: which location(s) can serve a cart by a method, and by when.

The same planning function sources orders, so what a storefront is promised is what the
order gets unless stock moved in between.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol, TypeGuard

from omnigraph.domain.calendar import LocationSchedule, add_business_days
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, LocationType

# Default reach of each method; shipping reaches everywhere a carrier zone does.
DEFAULT_RADIUS_KM: Mapping[DeliveryMethod, float | None] = {
    DeliveryMethod.SHIP_STANDARD: None,
    DeliveryMethod.SHIP_EXPRESS: None,
    DeliveryMethod.SAME_DAY: 50.0,
    DeliveryMethod.PICKUP: 50.0,
    DeliveryMethod.CURBSIDE: 50.0,
}
CARRIER_SERVICE: Mapping[DeliveryMethod, str] = {
    DeliveryMethod.SHIP_STANDARD: "GROUND",
    DeliveryMethod.SHIP_EXPRESS: "EXPRESS",
    DeliveryMethod.SAME_DAY: "LOCAL_COURIER",
}
# A same-day courier drives ~40 km/h door to door, plus a fixed hand-over time.
SAME_DAY_HANDOVER = timedelta(minutes=30)
SAME_DAY_KM_PER_HOUR = 40.0
SAME_DAY_LAST_DROP = time(21, 0)
# Standard ground gives a one-business-day window; express is a committed date.
WINDOW_BUSINESS_DAYS: Mapping[DeliveryMethod, int] = {
    DeliveryMethod.SHIP_STANDARD: 1,
    DeliveryMethod.SHIP_EXPRESS: 0,
}


class Unavailable(StrEnum):
    NO_CAPABLE_LOCATION = "NO_CAPABLE_LOCATION"
    EXCLUDED_BY_RULE = "EXCLUDED_BY_RULE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    PAST_CUTOFF = "PAST_CUTOFF"
    NO_CARRIER_SERVICE = "NO_CARRIER_SERVICE"
    REQUESTED_DATE_NOT_MET = "REQUESTED_DATE_NOT_MET"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location that might serve the cart, with what it has of each SKU."""

    location_id: int
    code: str
    location_type: LocationType
    point: GeoPoint
    capabilities: frozenset[Capability]
    schedule: LocationSchedule
    distance_km: float
    stock: Mapping[str, int]


class EligibilityRule(Protocol):
    """An extra, pure test a location must pass (contributed by plugins)."""

    name: str

    def check(self, candidate: Candidate, method: DeliveryMethod) -> str | None:
        """``None`` keeps the candidate; a string rejects it and says why."""
        ...


def is_filter(item: object) -> TypeGuard[EligibilityRule]:
    """Whether a plugin's sourcing contribution is an eligibility filter (a callable ``check``)."""
    return callable(getattr(item, "check", None))


@dataclass(frozen=True, slots=True)
class Allocation:
    candidate: Candidate
    quantities: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class FulfilmentPlan:
    method: DeliveryMethod
    allocations: tuple[Allocation, ...]

    @property
    def packages(self) -> int:
        return len(self.allocations)

    @property
    def location_ids(self) -> tuple[int, ...]:
        return tuple(a.candidate.location_id for a in self.allocations)


@dataclass(frozen=True, slots=True)
class PlanRefusal:
    method: DeliveryMethod
    reason: Unavailable
    detail: str


def _eligible(
    method: DeliveryMethod,
    candidates: Sequence[Candidate],
    radius_km: float | None,
    only_location_id: int | None,
    rules: Sequence[EligibilityRule],
) -> list[Candidate] | PlanRefusal:
    if not candidates:
        # Candidates are the locations holding some of the cart, so none means sold out,
        # not that nobody offers the method: a storefront must be told INSUFFICIENT_STOCK.
        return PlanRefusal(method, Unavailable.INSUFFICIENT_STOCK, "none of the cart is in stock")
    capable = [
        c
        for c in candidates
        if method.capability in c.capabilities
        and (only_location_id is None or c.location_id == only_location_id)
    ]
    if not capable:
        where = "the chosen location" if only_location_id is not None else "any nearby location"
        return PlanRefusal(
            method, Unavailable.NO_CAPABLE_LOCATION, f"{method.value} not offered by {where}"
        )
    limit = radius_km if radius_km is not None else DEFAULT_RADIUS_KM[method]
    # A customer who picked the store themselves has accepted the distance to it.
    if limit is not None and only_location_id is None:
        capable = [c for c in capable if c.distance_km <= limit]
        if not capable:
            return PlanRefusal(
                method,
                Unavailable.OUT_OF_RANGE,
                f"no location within {limit:g} km offers {method.value}",
            )
    if rules:
        kept = [c for c in capable if all(rule.check(c, method) is None for rule in rules)]
        if not kept:
            reasons = sorted({r for c in capable for rule in rules if (r := rule.check(c, method))})
            return PlanRefusal(method, Unavailable.EXCLUDED_BY_RULE, "; ".join(reasons))
        capable = kept
    return sorted(capable, key=lambda c: (c.distance_km, c.location_id))


def plan_fulfilment(
    method: DeliveryMethod,
    lines: Mapping[str, int],
    candidates: Sequence[Candidate],
    *,
    radius_km: float | None = None,
    only_location_id: int | None = None,
    rules: Sequence[EligibilityRule] = (),
) -> FulfilmentPlan | PlanRefusal:
    """Nearest single location covering the whole cart; else, for shipping, a nearest-first split.

    Collection and same-day methods never split: the customer meets one location.
    Deterministic: ties on distance break on location id.
    """
    eligible = _eligible(method, candidates, radius_km, only_location_id, rules)
    if isinstance(eligible, PlanRefusal):
        return eligible
    for candidate in eligible:
        if all(candidate.stock.get(sku, 0) >= qty for sku, qty in lines.items()):
            return FulfilmentPlan(method, (Allocation(candidate, dict(lines)),))
    if method.is_collection or method is DeliveryMethod.SAME_DAY:
        return PlanRefusal(
            method, Unavailable.INSUFFICIENT_STOCK, "no single location has the whole cart"
        )
    remaining = dict(lines)
    allocations: list[Allocation] = []
    for candidate in eligible:
        taken = {
            sku: min(qty, candidate.stock.get(sku, 0))
            for sku, qty in remaining.items()
            if qty > 0 and candidate.stock.get(sku, 0) > 0
        }
        if not taken:
            continue
        allocations.append(Allocation(candidate, taken))
        for sku, qty in taken.items():
            remaining[sku] -= qty
        if not any(remaining.values()):
            return FulfilmentPlan(method, tuple(allocations))
    short = ", ".join(f"{sku} (short {qty})" for sku, qty in sorted(remaining.items()) if qty)
    return PlanRefusal(
        method, Unavailable.INSUFFICIENT_STOCK, f"not enough stock in the network: {short}"
    )


@dataclass(frozen=True, slots=True)
class Window:
    earliest: date
    latest: date
    ready_at: datetime | None = None
    deliver_by: datetime | None = None


def collection_window(schedule: LocationSchedule, now: datetime) -> Window:
    ready = schedule.ready_at(now)
    local_day = ready.astimezone(schedule.zone).date()
    return Window(earliest=local_day, latest=local_day, ready_at=ready)


def shipping_window(
    method: DeliveryMethod, schedule: LocationSchedule, now: datetime, transit_days: int
) -> Window:
    return window_from_dispatch(method, schedule.dispatch_day(now), transit_days)


def window_from_dispatch(method: DeliveryMethod, dispatch: date, transit_days: int) -> Window:
    """Carrier days after the goods leave; standard ground gives a one-day window."""
    earliest = add_business_days(dispatch, transit_days)
    return Window(earliest, add_business_days(earliest, WINDOW_BUSINESS_DAYS.get(method, 0)))


def same_day_window(
    schedule: LocationSchedule, now: datetime, distance_km: float
) -> Window | PlanRefusal:
    local_now = now.astimezone(schedule.zone)
    if not schedule.is_working_day(local_now.date()) or local_now.time() > schedule.cutoff:
        return PlanRefusal(
            DeliveryMethod.SAME_DAY, Unavailable.PAST_CUTOFF, "past today's same-day cut-off"
        )
    ready = schedule.ready_at(now)
    # Whole minutes, like every time a promise shows (``LocationSchedule.ready_at``).
    drive = timedelta(minutes=math.ceil(60 * distance_km / SAME_DAY_KM_PER_HOUR))
    deliver_by = ready + SAME_DAY_HANDOVER + drive
    local_drop = deliver_by.astimezone(schedule.zone)
    if local_drop.date() != local_now.date() or local_drop.time() > SAME_DAY_LAST_DROP:
        return PlanRefusal(
            DeliveryMethod.SAME_DAY,
            Unavailable.PAST_CUTOFF,
            "cannot be delivered before the last drop today",
        )
    return Window(local_now.date(), local_now.date(), ready_at=ready, deliver_by=deliver_by)


def combine_windows(windows: Sequence[Window]) -> Window:
    """A split arrives when its last package does."""
    readies = [w.ready_at for w in windows if w.ready_at is not None]
    drops = [w.deliver_by for w in windows if w.deliver_by is not None]
    return Window(
        earliest=max(w.earliest for w in windows),
        latest=max(w.latest for w in windows),
        ready_at=max(readies) if readies else None,
        deliver_by=max(drops) if drops else None,
    )


class StockMessage(StrEnum):
    IN_STOCK = "IN_STOCK"
    LOW_STOCK = "LOW_STOCK"
    ONLY_FEW_LEFT = "ONLY_FEW_LEFT"
    OUT_OF_STOCK = "OUT_OF_STOCK"


@dataclass(frozen=True, slots=True)
class StockThresholds:
    only_few_left: int = 3
    low_stock: int = 10


def stock_message(available: int, thresholds: StockThresholds = StockThresholds()) -> StockMessage:
    if available <= 0:
        return StockMessage.OUT_OF_STOCK
    if available <= thresholds.only_few_left:
        return StockMessage.ONLY_FEW_LEFT
    if available <= thresholds.low_stock:
        return StockMessage.LOW_STOCK
    return StockMessage.IN_STOCK


def confidence(plan: FulfilmentPlan, lines: Mapping[str, int]) -> float:
    """How likely the plan survives until the order: thin stock margins lower it."""
    margins = [
        allocation.candidate.stock.get(sku, 0) - qty
        for allocation in plan.allocations
        for sku, qty in allocation.quantities.items()
    ]
    thinnest = min(margins) if margins else 0
    if thinnest >= 5:
        return 0.95
    if thinnest >= 2:
        return 0.8
    return 0.6


def refusal_error(refusal: PlanRefusal) -> DomainError:
    """What an order capture tells the caller when its method cannot be served."""
    if refusal.reason is Unavailable.INSUFFICIENT_STOCK:
        return DomainError.single(("lines",), ErrorCode.INSUFFICIENT_STOCK, refusal.detail)
    if refusal.reason is Unavailable.OUT_OF_RANGE:
        return DomainError.single(("shippingAddress",), ErrorCode.OUT_OF_RANGE, refusal.detail)
    return DomainError.single(("deliveryMethod",), ErrorCode.METHOD_UNAVAILABLE, refusal.detail)
