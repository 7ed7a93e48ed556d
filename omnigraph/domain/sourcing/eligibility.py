"""Which candidates may serve a request, and the first rule that rejects each of the others.

Checks run cheapest first (plain comparisons, then plugin rules, then calendar arithmetic),
so a rejected candidate costs little; the trace records the first failing rule only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from omnigraph.domain.calendar import add_business_days
from omnigraph.domain.promise import (
    EligibilityRule,
    PlanRefusal,
    Window,
    collection_window,
    same_day_window,
    shipping_window,
)
from omnigraph.domain.sourcing.costs import Pricer
from omnigraph.domain.sourcing.request import SourcingCandidate, SourcingRequest
from omnigraph.domain.sourcing.rules import ChannelPolicy, MethodPolicy
from omnigraph.domain.vocabulary import DeliveryMethod


class Reason(StrEnum):
    """Stable codes for why a candidate was not used; consoles and tests key on them."""

    NOT_CHOSEN = "NOT_CHOSEN"
    NO_CAPABILITY = "NO_CAPABILITY"
    EXCLUDED_FOR_CHANNEL = "EXCLUDED_FOR_CHANNEL"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    AT_CAPACITY = "AT_CAPACITY"
    EXCLUDED_BY_RULE = "EXCLUDED_BY_RULE"
    CLOSED = "CLOSED"
    NO_RATE = "NO_RATE"
    NO_STOCK = "NO_STOCK"
    BELOW_MIN_STOCK = "BELOW_MIN_STOCK"
    PAST_CUTOFF = "PAST_CUTOFF"
    SLA_MISSED = "SLA_MISSED"


# A candidate rejected for one of these still passed every rule about the location itself,
# so it may receive a backorder against its incoming supply.
BACKORDER_CAPABLE = frozenset(
    {None, Reason.NO_STOCK, Reason.BELOW_MIN_STOCK, Reason.PAST_CUTOFF, Reason.SLA_MISSED}
)


@dataclass(frozen=True, slots=True)
class CandidateVerdict:
    """One candidate in the trace: kept (``reason`` is None) or rejected, and why."""

    location_id: int
    code: str
    location_type: str
    distance_km: float
    reason: Reason | None
    detail: str
    rule: str | None = None
    arrives_on: date | None = None

    @property
    def eligible(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class Usable:
    """An eligible candidate: its usable stock of the cart's SKUs and when it would deliver."""

    source: SourcingCandidate
    stock: Mapping[str, int]
    window: Window
    deadline: date | None
    floor_minor: int

    @property
    def location_id(self) -> int:
        return self.source.location_id

    @property
    def arrives_on(self) -> date:
        return self.window.earliest


@dataclass(frozen=True, slots=True)
class Screening:
    verdicts: tuple[CandidateVerdict, ...]
    usable: tuple[Usable, ...]
    backorder_sources: tuple[SourcingCandidate, ...]


def _deadline_days(method: DeliveryMethod, policy: MethodPolicy) -> int | None:
    return 0 if method is DeliveryMethod.SAME_DAY else policy.promise_business_days


def _static_rejection(
    source: SourcingCandidate,
    request: SourcingRequest,
    policy: MethodPolicy,
    channel: ChannelPolicy,
    filters: Sequence[EligibilityRule],
) -> tuple[Reason, str, str | None] | None:
    candidate, method = source.candidate, request.method
    if request.only_location_id is not None and source.location_id != request.only_location_id:
        return Reason.NOT_CHOSEN, "the customer chose another location", None
    if method.capability not in candidate.capabilities:
        return Reason.NO_CAPABILITY, f"does not offer {method.value}", None
    if source.location_id in channel.excluded_location_ids:
        return Reason.EXCLUDED_FOR_CHANNEL, f"excluded for {request.channel}", None
    if candidate.location_type in channel.excluded_location_types:
        kind = candidate.location_type.value
        return Reason.EXCLUDED_FOR_CHANNEL, f"{kind} locations excluded for {request.channel}", None
    limit = policy.max_distance_km
    # A customer who picked the store themselves has accepted the distance to it.
    if limit is not None and request.only_location_id is None and source.distance_km > limit:
        return Reason.OUT_OF_RANGE, f"{source.distance_km:.1f} km is beyond {limit:g} km", None
    if source.daily_capacity is not None and source.orders_today >= source.daily_capacity:
        used = f"{source.orders_today}/{source.daily_capacity}"
        return Reason.AT_CAPACITY, f"daily order capacity used up ({used})", None
    for rule in filters:
        why = rule.check(candidate, method)
        if why is not None:
            return Reason.EXCLUDED_BY_RULE, why, rule.name
    schedule = candidate.schedule
    if not any(schedule.hours.values()):
        return Reason.CLOSED, "has no opening hours", None
    if _deadline_days(method, policy) == 0:
        today = request.now.astimezone(schedule.zone).date()
        if not schedule.is_working_day(today):
            return Reason.CLOSED, f"closed today ({today.isoformat()})", None
    return None


def _usable_stock(
    source: SourcingCandidate, lines: Mapping[str, int], policy: MethodPolicy
) -> tuple[dict[str, int], bool]:
    """Stock the thresholds allow; the flag says some stock was held back by a threshold."""
    minimum = policy.min_stock.get(source.location_type, 0)
    usable: dict[str, int] = {}
    held_back = False
    for sku in lines:
        units = source.candidate.stock.get(sku, 0)
        if units <= 0:
            continue
        if units < minimum:
            held_back = True
            continue
        usable[sku] = units
    return usable, held_back


def window_for(
    source: SourcingCandidate, request: SourcingRequest, pricer: Pricer
) -> Window | PlanRefusal | None:
    """When goods from this location alone would arrive (or be ready); None: no carrier rate."""
    schedule, method = source.candidate.schedule, request.method
    if method.is_collection:
        return collection_window(schedule, request.now)
    if method is DeliveryMethod.SAME_DAY:
        return same_day_window(schedule, request.now, source.distance_km)
    transit = pricer.transit_days(source)
    if transit is None:
        return None
    return shipping_window(method, schedule, request.now, transit)


def screen(
    request: SourcingRequest,
    policy: MethodPolicy,
    channel: ChannelPolicy,
    filters: Sequence[EligibilityRule],
    pricer: Pricer,
) -> Screening:
    verdicts: list[CandidateVerdict] = []
    usable: list[Usable] = []
    backorder: list[SourcingCandidate] = []
    days = _deadline_days(request.method, policy)
    for source in sorted(request.candidates, key=lambda s: (s.distance_km, s.location_id)):

        def verdict(
            reason: Reason | None,
            detail: str,
            rule: str | None = None,
            on: date | None = None,
            source: SourcingCandidate = source,
        ) -> None:
            verdicts.append(
                CandidateVerdict(
                    source.location_id,
                    source.code,
                    source.location_type.value,
                    source.distance_km,
                    reason,
                    detail,
                    rule,
                    on,
                )
            )
            if reason in BACKORDER_CAPABLE:
                backorder.append(source)

        rejected = _static_rejection(source, request, policy, channel, filters)
        if rejected is not None:
            verdict(*rejected)
            continue
        floor = pricer.floor_minor(source)
        if floor is None:
            verdict(Reason.NO_RATE, f"no {pricer.service} rate for {source.distance_km:.1f} km")
            continue
        stock, held_back = _usable_stock(source, request.lines, policy)
        if not stock:
            if held_back:
                minimum = policy.min_stock[source.location_type]
                verdict(Reason.BELOW_MIN_STOCK, f"fewer than {minimum} units of the cart's SKUs")
            else:
                verdict(Reason.NO_STOCK, "holds none of the cart")
            continue
        try:
            window = window_for(source, request, pricer)
        except ValueError:
            verdict(Reason.CLOSED, "no opening time in the next two months")
            continue
        if isinstance(window, PlanRefusal):
            verdict(Reason.PAST_CUTOFF, window.detail)
            continue
        if window is None:  # defensive: floor_minor found a rate, so transit exists
            verdict(Reason.NO_RATE, f"no {pricer.service} rate")
            continue
        deadline = None
        if days is not None:
            today = request.now.astimezone(source.candidate.schedule.zone).date()
            deadline = add_business_days(today, days)
            if window.earliest > deadline:
                detail = (
                    f"arrives {window.earliest.isoformat()}, promised by {deadline.isoformat()}"
                )
                verdict(Reason.SLA_MISSED, detail, on=window.earliest)
                continue
        verdict(None, "eligible", on=window.earliest)
        usable.append(Usable(source, stock, window, deadline, floor))
    return Screening(tuple(verdicts), tuple(usable), tuple(backorder))
