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
    plan_fulfilment,
    promise_instant,
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


def test_a_promise_is_worked_out_as_of_the_next_whole_minute() -> None:
    assert promise_instant(datetime(2026, 3, 4, 13, 59, 0, 1, tzinfo=UTC)) == datetime(
        2026, 3, 4, 14, 0, tzinfo=UTC
    )
    assert promise_instant(datetime(2026, 3, 4, 13, 59, 59, tzinfo=UTC)) == datetime(
        2026, 3, 4, 14, 0, tzinfo=UTC
    )
    on_the_minute = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    assert promise_instant(on_the_minute) == on_the_minute


# Monday 2 March 2026 00:00 in Chicago, and the week after it, to the microsecond.
WEEK_START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
MOMENTS = st.integers(min_value=0, max_value=7 * 24 * 3600 * 10**6 - 1).map(
    lambda us: WEEK_START + timedelta(microseconds=us)
)


@given(MOMENTS)
def test_rounding_up_to_the_minute_moves_no_cut_off_decision(now: datetime) -> None:
    # Opening hours and cut-offs are whole minutes: whichever side of one ``now`` is on, the
    # next whole minute is on the same side. Ready-by times only move later, by under a
    # minute of working time.
    at = promise_instant(now)
    assert SCHEDULE.dispatch_day(at) == SCHEDULE.dispatch_day(now)
    exact, rounded = same_day_window(SCHEDULE, now, 5.0), same_day_window(SCHEDULE, at, 5.0)
    assert isinstance(exact, PlanRefusal) == isinstance(rounded, PlanRefusal)
    ready, ready_rounded = SCHEDULE.ready_at(now), SCHEDULE.ready_at(at)
    assert ready <= ready_rounded
    assert ready_rounded.second == 0 and ready_rounded.microsecond == 0
    assert ready_rounded - ready < timedelta(minutes=1) or not SCHEDULE.is_open(ready)
