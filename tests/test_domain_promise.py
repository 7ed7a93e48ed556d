from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.geo import GeoPoint, distance_km
from omnigraph.domain.promise import (
    Candidate,
    FulfilmentPlan,
    PlanRefusal,
    StockMessage,
    Unavailable,
    collection_window,
    plan_fulfilment,
    same_day_window,
    shipping_window,
    stock_message,
)
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, LocationType

SCHEDULE = LocationSchedule.from_config(
    "America/Chicago",
    {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    cutoff="15:00",
    processing_minutes=60,
)
ALL = frozenset(Capability)


def candidate(
    location_id: int, km: float, stock: Mapping[str, int], capabilities: frozenset[Capability] = ALL
) -> Candidate:
    return Candidate(
        location_id,
        f"L{location_id}",
        LocationType.STORE,
        GeoPoint(41.88, -87.63),
        capabilities,
        SCHEDULE,
        km,
        dict(stock),
    )


def test_nearest_location_with_the_whole_cart_wins():
    plan = plan_fulfilment(
        DeliveryMethod.SHIP_STANDARD,
        {"A": 1, "B": 2},
        [
            candidate(1, 5, {"A": 1}),
            candidate(2, 30, {"A": 5, "B": 5}),
            candidate(3, 10, {"A": 1, "B": 2}),
        ],
    )
    assert isinstance(plan, FulfilmentPlan)
    assert plan.location_ids == (3,)


def test_shipping_splits_nearest_first_when_no_single_location_has_everything():
    plan = plan_fulfilment(
        DeliveryMethod.SHIP_STANDARD,
        {"A": 3, "B": 1},
        [candidate(1, 5, {"A": 2}), candidate(2, 9, {"A": 4, "B": 0}), candidate(3, 12, {"B": 1})],
    )
    assert isinstance(plan, FulfilmentPlan)
    assert [(a.candidate.location_id, dict(a.quantities)) for a in plan.allocations] == [
        (1, {"A": 2}),
        (2, {"A": 1}),
        (3, {"B": 1}),
    ]
    assert plan.packages == 3


@pytest.mark.parametrize(
    "method", [DeliveryMethod.PICKUP, DeliveryMethod.CURBSIDE, DeliveryMethod.SAME_DAY]
)
def test_methods_where_the_customer_meets_one_location_never_split(method):
    result = plan_fulfilment(
        method, {"A": 1, "B": 1}, [candidate(1, 5, {"A": 1}), candidate(2, 6, {"B": 1})]
    )
    assert isinstance(result, PlanRefusal)
    assert result.reason is Unavailable.INSUFFICIENT_STOCK


def test_locations_without_the_capability_are_not_used():
    result = plan_fulfilment(
        DeliveryMethod.PICKUP, {"A": 1}, [candidate(1, 1, {"A": 5}, frozenset({Capability.SHIP}))]
    )
    assert isinstance(result, PlanRefusal)
    assert result.reason is Unavailable.NO_CAPABLE_LOCATION


def test_radius_limits_same_day():
    result = plan_fulfilment(DeliveryMethod.SAME_DAY, {"A": 1}, [candidate(1, 120, {"A": 5})])
    assert isinstance(result, PlanRefusal)
    assert result.reason is Unavailable.OUT_OF_RANGE


def test_a_chosen_pickup_store_is_used_whatever_its_distance():
    plan = plan_fulfilment(
        DeliveryMethod.PICKUP,
        {"A": 1},
        [candidate(1, 2, {"A": 1}), candidate(2, 400, {"A": 1})],
        only_location_id=2,
    )
    assert isinstance(plan, FulfilmentPlan)
    assert plan.location_ids == (2,)


def test_ties_on_distance_break_on_location_id():
    plan = plan_fulfilment(
        DeliveryMethod.SHIP_STANDARD,
        {"A": 1},
        [candidate(9, 5, {"A": 1}), candidate(4, 5, {"A": 1})],
    )
    assert isinstance(plan, FulfilmentPlan)
    assert plan.location_ids == (4,)


@dataclass
class NoStoresOnSunday:
    name: str = "rejects-location-1"

    def check(self, candidate: Candidate, method: DeliveryMethod) -> str | None:
        return "location 1 is excluded" if candidate.location_id == 1 else None


def test_eligibility_rules_reject_candidates():
    plan = plan_fulfilment(
        DeliveryMethod.SHIP_STANDARD,
        {"A": 1},
        [candidate(1, 1, {"A": 1}), candidate(2, 50, {"A": 1})],
        rules=[NoStoresOnSunday()],
    )
    assert isinstance(plan, FulfilmentPlan)
    assert plan.location_ids == (2,)
    refused = plan_fulfilment(
        DeliveryMethod.SHIP_STANDARD,
        {"A": 1},
        [candidate(1, 1, {"A": 1})],
        rules=[NoStoresOnSunday()],
    )
    assert isinstance(refused, PlanRefusal)
    assert refused.reason is Unavailable.EXCLUDED_BY_RULE
    assert "location 1 is excluded" in refused.detail


stocks = st.dictionaries(st.sampled_from("ABCD"), st.integers(0, 6), max_size=4)
carts = st.dictionaries(st.sampled_from("ABCD"), st.integers(1, 8), min_size=1, max_size=4)
capability_sets = st.frozensets(st.sampled_from(list(Capability)), min_size=1)


@given(
    carts,
    st.lists(st.tuples(st.floats(0, 3000), stocks, capability_sets), max_size=8),
    st.sampled_from(list(DeliveryMethod)),
)
def test_a_plan_never_overdraws_never_uses_an_ineligible_location_and_covers_the_cart(
    cart, rows, method
):
    candidates = [candidate(i + 1, km, stock, caps) for i, (km, stock, caps) in enumerate(rows)]
    plan = plan_fulfilment(method, cart, candidates)
    if isinstance(plan, PlanRefusal):
        return
    by_id = {c.location_id: c for c in candidates}
    delivered: dict[str, int] = {}
    for allocation in plan.allocations:
        source = by_id[allocation.candidate.location_id]
        assert method.capability in source.capabilities
        for sku, qty in allocation.quantities.items():
            assert 0 < qty <= source.stock.get(sku, 0)
            delivered[sku] = delivered.get(sku, 0) + qty
    assert delivered == cart
    if method.is_collection or method is DeliveryMethod.SAME_DAY:
        assert plan.packages == 1


def test_shipping_window_counts_transit_from_the_dispatch_day():
    monday_morning = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
    window = shipping_window(DeliveryMethod.SHIP_STANDARD, SCHEDULE, monday_morning, 2)
    assert (window.earliest, window.latest) == (date(2026, 11, 25), date(2026, 11, 26))
    express = shipping_window(DeliveryMethod.SHIP_EXPRESS, SCHEDULE, monday_morning, 1)
    assert express.earliest == express.latest == date(2026, 11, 24)


def test_same_day_is_refused_after_cutoff_and_offered_before():
    zone = ZoneInfo("America/Chicago")
    late = same_day_window(SCHEDULE, datetime(2026, 11, 23, 16, 0, tzinfo=zone), 10)
    assert isinstance(late, PlanRefusal) and late.reason is Unavailable.PAST_CUTOFF
    early = same_day_window(SCHEDULE, datetime(2026, 11, 23, 10, 0, tzinfo=zone), 20)
    assert not isinstance(early, PlanRefusal)
    assert early.deliver_by is not None and early.deliver_by.astimezone(zone).date() == date(
        2026, 11, 23
    )


@pytest.mark.parametrize(
    ("available", "message"),
    [
        (0, StockMessage.OUT_OF_STOCK),
        (2, StockMessage.ONLY_FEW_LEFT),
        (7, StockMessage.LOW_STOCK),
        (50, StockMessage.IN_STOCK),
    ],
)
def test_stock_messages(available, message):
    assert stock_message(available) is message


def test_distance_between_real_cities():
    chicago, new_york = GeoPoint(41.8781, -87.6298), GeoPoint(40.7128, -74.0060)
    assert 1140 < distance_km(chicago, new_york) < 1150


# A week from Monday 2 March 2026 00:00 in Chicago, to the microsecond.
WEEK_START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
MOMENTS = st.integers(min_value=0, max_value=7 * 24 * 3600 * 10**6 - 1).map(
    lambda us: WEEK_START + timedelta(microseconds=us)
)


def clocks(first_hour: int, last_hour: int) -> st.SearchStrategy[str]:
    hours, minutes = st.integers(first_hour, last_hour), st.integers(0, 59)
    return st.builds(lambda h, m: f"{h:02d}:{m:02d}", hours, minutes)


CLOCKS = clocks(0, 23)


@st.composite
def schedules(draw: st.DrawFn) -> LocationSchedule:
    # Open at least two hours on each open day, until midnight at the latest: the longest
    # processing drawn (ten hours) then fits in five weeks, well inside the two months a
    # schedule looks ahead (a 14-minute day once made ``ready_at`` find no time at all).
    opens = draw(clocks(0, 10))
    closes = draw(st.one_of(clocks(13, 23), st.just("24:00")))
    return LocationSchedule.from_config(
        "America/Chicago",
        {d: [[opens, closes]] for d in draw(st.sets(st.sampled_from(["mon", "tue", "sat"])))}
        or {"wed": [["09:00", "17:00"]]},
        cutoff=draw(st.one_of(CLOCKS, st.just("24:00"))),
        processing_minutes=draw(st.integers(0, 600)),
    )


@given(schedules(), MOMENTS, st.integers(1, 59_999_999), st.floats(0, 80))
def test_every_moment_inside_one_minute_gets_the_same_dates(
    schedule: LocationSchedule, now: datetime, offset_us: int, km: float
) -> None:
    # What lets a promise reuse a decision within the minute (``services.decision_memo``):
    # hours, cut-offs, processing and drive times are whole minutes, ready-by times rounded
    # up to one, so nothing a decision reads changes strictly inside a minute.
    minute = now.replace(second=0, microsecond=0)
    first = minute + timedelta(microseconds=1)
    other = minute + timedelta(microseconds=offset_us)
    assert schedule.dispatch_day(first) == schedule.dispatch_day(other)
    assert schedule.ready_at(first) == schedule.ready_at(other)
    assert same_day_window(schedule, first, km) == same_day_window(schedule, other, km)
    assert collection_window(schedule, first) == collection_window(schedule, other)
    for method in (DeliveryMethod.SHIP_STANDARD, DeliveryMethod.SHIP_EXPRESS):
        assert shipping_window(method, schedule, first, 2) == shipping_window(
            method, schedule, other, 2
        )


@given(schedules(), MOMENTS)
def test_ready_by_times_are_whole_minutes_never_before_the_exact_time(
    schedule: LocationSchedule, now: datetime
) -> None:
    ready = schedule.ready_at(now)
    exact = schedule.add_working_time(now, schedule.processing)
    assert ready.second == 0 and ready.microsecond == 0
    assert exact <= ready < exact + timedelta(minutes=1)
    window = same_day_window(schedule, now, 12.3)
    if not isinstance(window, PlanRefusal):
        assert window.deliver_by is not None and window.deliver_by.second == 0


def test_open_until_midnight_closes_on_the_last_whole_minute() -> None:
    # Were "24:00" 23:59:59, two hours' work started at 21:59:00.5 would be ready at 23:59:01
    # (rounded up: midnight) and work started at 21:59:59.5 only the next morning: two
    # answers in one minute. Closing at 23:59, both are ready the next morning.
    late = LocationSchedule.from_config(
        "America/Chicago", {"mon": [["00:00", "24:00"]], "tue": [["08:00", "24:00"]]}
    )
    first_second = datetime(2026, 3, 3, 3, 59, 0, 500_000, tzinfo=UTC)  # 21:59 Monday, Chicago
    last_second = datetime(2026, 3, 3, 3, 59, 59, 500_000, tzinfo=UTC)
    ready = late.ready_at(first_second)
    assert ready == late.ready_at(last_second)
    assert ready.astimezone(late.zone) == datetime(2026, 3, 3, 8, 1, tzinfo=late.zone)
