"""One test per eligibility rule: the nearest, cheapest location breaks the rule, so if the
rule were ignored the decision would pick it; instead the trace names the rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.promise import Candidate
from omnigraph.domain.sourcing import (
    ChannelPolicy,
    MethodPolicy,
    NoPlanReason,
    Reason,
    SourcingRules,
)
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, LocationType
from tests.test_sourcing_builders import NOW, SCHEDULE, TODAY, decided, loc, refused, run


def assert_skipped(result, rejected_id: int, reason: Reason, chosen_id: int) -> None:
    decision = decided(result)
    assert decision.location_ids == (chosen_id,)
    assert decision.explanation.reason_for(rejected_id) is reason
    assert decision.explanation.reason_for(chosen_id) is None


def test_capability_for_the_method_is_required():
    near = loc(1, 5, {"A": 1}, capabilities={Capability.PICKUP})
    result = run([near, loc(2, 300, {"A": 1})])
    assert_skipped(result, 1, Reason.NO_CAPABILITY, 2)


def test_channel_excludes_location_ids():
    rules = SourcingRules(channels={"WEB": ChannelPolicy(excluded_location_ids=frozenset({1}))})
    result = run([loc(1, 5, {"A": 1}), loc(2, 300, {"A": 1})], rules=rules)
    assert_skipped(result, 1, Reason.EXCLUDED_FOR_CHANNEL, 2)
    # Another channel is not affected.
    other = run([loc(1, 5, {"A": 1}), loc(2, 300, {"A": 1})], rules=rules, channel="APP")
    assert decided(other).location_ids == (1,)


def test_channel_excludes_location_types():
    policy = ChannelPolicy(excluded_location_types=frozenset({LocationType.STORE}))
    rules = SourcingRules(channels={"MARKETPLACE": policy})
    cands = [loc(1, 5, {"A": 1}), loc(2, 300, {"A": 1}, kind=LocationType.DC)]
    assert_skipped(
        run(cands, rules=rules, channel="MARKETPLACE"), 1, Reason.EXCLUDED_FOR_CHANNEL, 2
    )


def test_maximum_distance_per_method():
    rules = SourcingRules(methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(max_distance_km=100)})
    # Far location is cheaper to pick from, so cost alone would choose it.
    far = loc(1, 150, {"A": 1})
    near = loc(2, 60, {"A": 1}, labour=None)
    result = run([far, near], rules=rules)
    assert_skipped(result, 1, Reason.OUT_OF_RANGE, 2)


def test_a_chosen_pickup_store_ignores_the_distance_limit_and_others_are_not_chosen():
    result = run([loc(1, 2, {"A": 1}), loc(2, 400, {"A": 1})], method=DeliveryMethod.PICKUP, only=2)
    assert_skipped(result, 1, Reason.NOT_CHOSEN, 2)


def test_daily_capacity_used_up():
    full = loc(1, 5, {"A": 1}, orders_today=40, capacity=40)
    result = run([full, loc(2, 300, {"A": 1}, orders_today=39, capacity=40)])
    assert_skipped(result, 1, Reason.AT_CAPACITY, 2)


def test_minimum_stock_per_location_type():
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(min_stock={LocationType.STORE: 3})}
    )
    thin_store = loc(1, 5, {"A": 2})
    dc = loc(2, 300, {"A": 1}, kind=LocationType.DC)
    assert_skipped(run([thin_store, dc], rules=rules), 1, Reason.BELOW_MIN_STOCK, 2)
    # At the threshold the store's stock counts again.
    enough = loc(1, 5, {"A": 3})
    assert decided(run([enough, dc], rules=rules)).location_ids == (1,)


def test_minimum_stock_holds_back_one_sku_but_not_the_others():
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(min_stock={LocationType.STORE: 3})}
    )
    store = loc(1, 5, {"A": 5, "B": 1})
    other = loc(2, 300, {"B": 5})
    decision = decided(run([store, other], {"A": 1, "B": 1}, rules=rules))
    shares = {p.source.location_id: dict(p.quantities) for p in decision.packages}
    assert shares == {1: {"A": 1}, 2: {"B": 1}}


@dataclass
class NotLocationOne:
    name: str = "no-location-1"

    def check(self, candidate: Candidate, method: DeliveryMethod) -> str | None:
        return "location 1 is being audited" if candidate.location_id == 1 else None


def test_plugin_eligibility_filters_reject_with_their_name_and_reason():
    result = run([loc(1, 5, {"A": 1}), loc(2, 300, {"A": 1})], filters=[NotLocationOne()])
    assert_skipped(result, 1, Reason.EXCLUDED_BY_RULE, 2)
    verdict = decided(result).explanation.candidates[0]
    assert (verdict.rule, verdict.detail) == ("no-location-1", "location 1 is being audited")


def test_a_location_closed_today_cannot_serve_a_promise_for_today():
    holiday = LocationSchedule(
        SCHEDULE.timezone, SCHEDULE.hours, frozenset({TODAY}), SCHEDULE.cutoff, SCHEDULE.processing
    )
    rules = SourcingRules(methods={DeliveryMethod.PICKUP: MethodPolicy(promise_business_days=0)})
    closed = loc(1, 5, {"A": 1}, schedule=holiday)
    result = run([closed, loc(2, 20, {"A": 1})], rules=rules, method=DeliveryMethod.PICKUP)
    assert_skipped(result, 1, Reason.CLOSED, 2)


def test_a_location_that_never_opens_is_closed():
    never = LocationSchedule("America/Chicago", {})
    assert_skipped(
        run([loc(1, 5, {"A": 1}, schedule=never), loc(2, 300, {"A": 1})]), 1, Reason.CLOSED, 2
    )


def test_no_carrier_rate_beyond_the_last_zone():
    result = run([loc(1, 6000, {"A": 1}), loc(2, 300, {"A": 1})])
    assert_skipped(result, 1, Reason.NO_RATE, 2)


def test_same_day_past_the_location_cutoff_is_not_offered():
    # 15:30 in Chicago is past the cut-off; New York is an hour later still.
    late = datetime(2024, 5, 8, 20, 30, tzinfo=NOW.tzinfo)
    result = refused(run([loc(1, 5, {"A": 1})], method=DeliveryMethod.SAME_DAY, now=late))
    assert result.reason is NoPlanReason.PAST_CUTOFF
    assert result.explanation.reason_for(1) is Reason.PAST_CUTOFF
    assert decided(run([loc(1, 5, {"A": 1})], method=DeliveryMethod.SAME_DAY)).window is not None


def test_the_sla_removes_locations_that_arrive_too_late():
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(promise_business_days=2)}
    )
    # Zone 4 takes four business days; zone 0 one.
    slow = loc(1, 1200, {"A": 1})
    fast = loc(2, 60, {"A": 1})
    decision = decided(run([slow, fast], rules=rules))
    assert decision.location_ids == (2,)
    verdict = decision.explanation.candidates[1]
    assert verdict.reason is Reason.SLA_MISSED and verdict.arrives_on == date(2024, 5, 14)
    assert decision.deadline == date(2024, 5, 10)


def test_no_eligible_location_reports_the_furthest_rule_reached():
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(promise_business_days=1)}
    )
    result = refused(
        run(
            [loc(1, 1200, {"A": 1}), loc(2, 5, {"A": 1}, capabilities={Capability.PICKUP})],
            rules=rules,
        )
    )
    assert result.reason is NoPlanReason.SLA_NOT_MET
    assert result.refusal().reason.value == "PAST_CUTOFF"
    assert {v.reason for v in result.explanation.candidates} == {
        Reason.SLA_MISSED,
        Reason.NO_CAPABILITY,
    }


def test_no_candidates_at_all_is_out_of_stock():
    result = refused(run([]))
    assert result.reason is NoPlanReason.INSUFFICIENT_STOCK
    assert result.refusal().reason.value == "INSUFFICIENT_STOCK"


def test_no_stock_is_a_verdict_too():
    decision = decided(run([loc(1, 5, {"B": 3}), loc(2, 300, {"A": 1})]))
    assert decision.explanation.reason_for(1) is Reason.NO_STOCK
