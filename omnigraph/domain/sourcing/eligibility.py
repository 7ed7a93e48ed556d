"""Which candidates may serve a request, and the first rule that rejects each of the others.

Checks run cheapest first (plain comparisons, then plugin rules, then calendar arithmetic),
so a rejected candidate costs little; the trace records the first failing rule only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import partial

from omnigraph.domain.calendar import LocationSchedule, add_business_days
from omnigraph.domain.promise import (
    EligibilityRule,
    PlanRefusal,
    Window,
    collection_window,
    same_day_window,
    shipping_window,
    window_from_dispatch,
)
from omnigraph.domain.sourcing.costs import Pricer
from omnigraph.domain.sourcing.parts import CheapestParts
from omnigraph.domain.sourcing.request import (
    SourcingCandidate,
    SourcingRequest,
    in_screening_order,
    nearest_first,
)
from omnigraph.domain.sourcing.rules import ChannelPolicy, MethodPolicy
from omnigraph.domain.sourcing.shortlist import Shortlist
from omnigraph.domain.sourcing.wholecart import WholeCart
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


# Verdicts kept before candidates out of the method's reach are only counted: a console
# lists the nearest ones, and a large network has hundreds of stores beyond a pickup radius.
LISTED = 20


@dataclass(frozen=True, slots=True)
class Screening:
    verdicts: tuple[CandidateVerdict, ...]
    usable: tuple[Usable, ...]
    backorder_sources: tuple[SourcingCandidate, ...]
    # Farther candidates not screened once the shortlist was full.
    unscreened: int = 0
    # Candidates out of the method's reach once ``LISTED`` verdicts were recorded.
    beyond_reach: int = 0
    # Candidates not screened because even their cheapest package costs more than a plan
    # already found.
    outpriced: int = 0
    # The cheapest usable location for each part of the cart, when the shortlist priced
    # them (it does once it fills); the search draws split partners from it.
    parts: CheapestParts | None = None


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


def _record(
    verdicts: list[CandidateVerdict],
    backorder: list[SourcingCandidate],
    source: SourcingCandidate,
    reason: Reason | None,
    detail: str,
    rule: str | None = None,
    on: date | None = None,
) -> None:
    candidate = source.candidate
    verdicts.append(
        CandidateVerdict(
            candidate.location_id,
            candidate.code,
            candidate.location_type.value,
            candidate.distance_km,
            reason,
            detail,
            rule,
            on,
        )
    )
    if reason in BACKORDER_CAPABLE:
        backorder.append(source)


class _Dates:
    """Arrival dates memoised for one ``screen`` call (``now`` and the method are fixed).

    Schedules are frozen values and many locations share the same hours, so a window only
    depends on the schedule's value and, for carrier methods, the transit days. Same-day
    windows also depend on the distance and are not memoised.
    """

    def __init__(self, request: SourcingRequest, pricer: Pricer) -> None:
        self.request = request
        self.pricer = pricer
        self._same_day = request.method is DeliveryMethod.SAME_DAY
        self._collection = request.method.is_collection
        # Schedule object id -> the number of its value: the value, a tuple of every
        # opening interval, is hashed once per schedule, not on every lookup.
        self._keys: dict[int, int] = {}
        self._values: dict[object, int] = {}
        self._windows: dict[tuple[int, int | None], Window | PlanRefusal | None] = {}
        self._closed: set[int] = set()
        self._dispatch: dict[int, date] = {}
        self._from_dispatch: dict[tuple[date, int], Window] = {}
        self._today: dict[str, date] = {}
        self._deadlines: dict[tuple[date, int], date] = {}

    def _key(self, schedule: LocationSchedule) -> int:
        found = self._keys.get(id(schedule))
        if found is None:
            value = schedule.value
            # Unhashable hours: memoise per object only.
            key = ("object", id(schedule)) if value is None else (type(schedule), value)
            found = self._values.setdefault(key, len(self._values))
            # The request holds every schedule for the whole call, so ids stay unique.
            self._keys[id(schedule)] = found
        return found

    def window(self, source: SourcingCandidate) -> Window | PlanRefusal | None:
        """``window_for``, memoised; raises ValueError like it when never open."""
        if self._same_day:
            return window_for(source, self.request, self.pricer)
        schedule = source.candidate.schedule
        if self._collection:
            transit = None
        else:
            transit = self.pricer.transit_days(source)
            if transit is None:
                return None
        value = self._key(schedule)
        if value in self._closed:
            raise ValueError("location has no opening time in the next two months")
        key = (value, transit)
        if key not in self._windows:
            try:
                if transit is None:
                    self._windows[key] = window_for(source, self.request, self.pricer)
                else:
                    self._windows[key] = self._shipping(value, schedule, transit)
            except ValueError:
                # Both the collection and the dispatch day fail only when never open.
                self._closed.add(value)
                raise
        return self._windows[key]

    def _shipping(self, value: int, schedule: LocationSchedule, transit: int) -> Window:
        """``shipping_window``, with the dispatch day computed once per schedule value."""
        dispatch = self._dispatch.get(value)
        if dispatch is None:
            dispatch = schedule.dispatch_day(self.request.now)
            self._dispatch[value] = dispatch
        # Schedules differ, dispatch days seldom do (today or the next working day).
        found = self._from_dispatch.get((dispatch, transit))
        if found is None:
            found = window_from_dispatch(self.request.method, dispatch, transit)
            self._from_dispatch[(dispatch, transit)] = found
        return found

    def today(self, schedule: LocationSchedule) -> date:
        found = self._today.get(schedule.timezone)
        if found is None:
            found = self.request.now.astimezone(schedule.zone).date()
            self._today[schedule.timezone] = found
        return found

    def deadline(self, schedule: LocationSchedule, days: int) -> date:
        today = self.today(schedule)
        found = self._deadlines.get((today, days))
        if found is None:
            found = add_business_days(today, days)
            self._deadlines[(today, days)] = found
        return found


def screen(
    request: SourcingRequest,
    policy: MethodPolicy,
    channel: ChannelPolicy,
    filters: Sequence[EligibilityRule],
    pricer: Pricer,
    nearest_usable: int | None = None,
) -> Screening:
    """Every candidate's verdict, nearest first; past the nearest ``nearest_usable`` usable
    ones (None: no limit), only those ``Shortlist`` admits are screened.

    With a limit, on a network larger than it, candidates that cannot beat a plan already
    found are not screened either: once a usable location can send the whole cart for a
    cost, a location whose cheapest possible package (one unit, one kilogram, ``floor``)
    costs more cannot be part of a cheaper plan. The cheapest holders of the whole cart are
    screened first, so that bound is known early.
    """
    verdicts: list[CandidateVerdict] = []
    usable: list[Usable] = []
    backorder: list[SourcingCandidate] = []
    days = _deadline_days(request.method, policy)
    dates = _Dates(request, pricer)
    shortlist = Shortlist(nearest_usable, request.lines, policy.allow_backorder, pricer)
    reach = policy.max_distance_km if request.only_location_id is None else None
    beyond_reach = outpriced = 0
    ordered = in_screening_order(request.candidates, request.currency)
    whole = WholeCart(request.lines, pricer)

    def consider(source: SourcingCandidate) -> Usable | None:
        verdict = partial(_record, verdicts, backorder, source)
        rejected = _static_rejection(source, request, policy, channel, filters)
        if rejected is not None:
            verdict(*rejected)
            return None
        floor = pricer.floor_minor(source)
        if floor is None:
            verdict(Reason.NO_RATE, f"no {pricer.service} rate for {source.distance_km:.1f} km")
            return None
        stock, held_back = _usable_stock(source, request.lines, policy)
        if not stock:
            if held_back:
                minimum = policy.min_stock[source.location_type]
                verdict(Reason.BELOW_MIN_STOCK, f"fewer than {minimum} units of the cart's SKUs")
            else:
                verdict(Reason.NO_STOCK, "holds none of the cart")
            return None
        try:
            window = dates.window(source)
        except ValueError:
            verdict(Reason.CLOSED, "no opening time in the next two months")
            return None
        if isinstance(window, PlanRefusal):
            verdict(Reason.PAST_CUTOFF, window.detail)
            return None
        if window is None:  # defensive: floor_minor found a rate, so transit exists
            verdict(Reason.NO_RATE, f"no {pricer.service} rate")
            return None
        deadline = None
        if days is not None:
            deadline = dates.deadline(source.candidate.schedule, days)
            if window.earliest > deadline:
                detail = (
                    f"arrives {window.earliest.isoformat()}, promised by {deadline.isoformat()}"
                )
                verdict(Reason.SLA_MISSED, detail, on=window.earliest)
                return None
        verdict(None, "eligible", on=window.earliest)
        found = Usable(source, stock, window, deadline, floor)
        usable.append(found)
        shortlist.add(source, stock)
        whole.offer(source, stock)
        return found

    screened: set[int] = set()
    # A method with a radius stops at its edge anyway.
    bounded = reach is None and nearest_usable is not None and len(ordered) > nearest_usable
    if bounded:
        for source in whole.cheapest_holders(ordered):
            screened.add(source.location_id)
            if consider(source) is not None and whole.bound is not None:
                break
    full = shortlist.full(len(usable))
    for index, source in enumerate(ordered):
        if reach is not None and source.distance_km > reach and len(verdicts) >= LISTED:
            # Nearest first, so every later candidate is out of reach too: count them.
            beyond_reach = _left(ordered, index, screened)
            break
        if screened and source.candidate.location_id in screened:
            continue
        if full and not shortlist.admits(source):
            # Most candidates of a large network end here: nothing else is looked at.
            continue
        if bounded and whole.bound is not None:
            floor = pricer.floor_minor(source)
            if floor is not None and floor > whole.bound:
                if whole.beyond(source):
                    # Nearest first: no farther candidate can ship for less either.
                    outpriced += _left(ordered, index, screened)
                    break
                outpriced += 1
                if full and reach is None and shortlist.closed():
                    shortlist.skipped += _left(ordered, index + 1, screened)
                    break
                continue
        if consider(source) is not None and not full:
            full = shortlist.full(len(usable))
        elif full and reach is None and shortlist.closed():
            # This one was admitted past the shortlist. Without a radius to count up to,
            # the walk ends once nobody farther can be: they would all be passed over.
            shortlist.skipped += _left(ordered, index + 1, screened)
            break
    if screened:
        # The cheapest holders were screened first: put everything back in screening order.
        verdicts.sort(key=lambda v: (v.distance_km, v.location_id))
        usable.sort(key=lambda u: nearest_first(u.source))
        backorder.sort(key=nearest_first)
    return Screening(
        tuple(verdicts),
        tuple(usable),
        tuple(backorder),
        shortlist.skipped,
        beyond_reach,
        outpriced,
        shortlist.parts,
    )


def _left(ordered: Sequence[SourcingCandidate], index: int, screened: set[int]) -> int:
    """Candidates from ``index`` on, less those already screened out of turn."""
    left = len(ordered) - index
    if screened:
        left -= sum(1 for source in ordered[index:] if source.candidate.location_id in screened)
    return left
