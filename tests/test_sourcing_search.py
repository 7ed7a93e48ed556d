"""The decision's shape: splits, split limits, backorders, wiring helpers and pruning."""

from __future__ import annotations

from datetime import date

from omnigraph.domain.money import Money
from omnigraph.domain.promise import FulfilmentPlan
from omnigraph.domain.sourcing import (
    Basis,
    IncomingSupply,
    MethodPolicy,
    NoPlanReason,
    PickLabour,
    SourcingRequest,
    SourcingRules,
    decide,
)
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType
from tests.test_sourcing_builders import NOW, RATES, WEIGHTS, decided, loc, refused, run

SHIP = DeliveryMethod.SHIP_STANDARD


def labour(per_line: int) -> PickLabour:
    return PickLabour(Money(per_line, "USD"), Money.zero("USD"))


def shares(decision) -> dict[int, dict[str, int]]:
    return {p.source.location_id: dict(p.quantities) for p in decision.packages}


def test_a_line_no_single_location_can_cover_is_split():
    decision = decided(run([loc(1, 60, {"A": 2}), loc(2, 300, {"A": 2})], {"A": 3}))
    assert sum(q["A"] for q in shares(decision).values()) == 3
    assert decision.cost.packages and len(decision.packages) == 2


def test_three_locations_when_no_pair_covers_the_cart():
    cands = [loc(1, 60, {"A": 1}), loc(2, 70, {"B": 1}), loc(3, 80, {"C": 1}), loc(4, 90, {})]
    decision = decided(run(cands, {"A": 1, "B": 1, "C": 1}))
    assert shares(decision) == {1: {"A": 1}, 2: {"B": 1}, 3: {"C": 1}}


def test_the_split_limit_refuses_a_cart_that_needs_more_locations():
    rules = SourcingRules(methods={SHIP: MethodPolicy(max_packages=2)})
    cands = [loc(1, 60, {"A": 1}), loc(2, 70, {"B": 1}), loc(3, 80, {"C": 1})]
    result = refused(run(cands, {"A": 1, "B": 1, "C": 1}, rules=rules))
    assert result.reason is NoPlanReason.SPLIT_LIMIT
    assert result.refusal().reason.value == "INSUFFICIENT_STOCK"


def test_collection_never_splits():
    cands = [loc(1, 5, {"A": 1}), loc(2, 6, {"B": 1})]
    result = refused(run(cands, {"A": 1, "B": 1}, method=DeliveryMethod.PICKUP))
    assert result.reason is NoPlanReason.INSUFFICIENT_STOCK
    assert "no single location" in result.detail


def test_partial_availability_without_backorders_is_refused_with_the_shortfall():
    result = refused(run([loc(1, 60, {"A": 1})], {"A": 3}))
    assert result.reason is NoPlanReason.INSUFFICIENT_STOCK
    assert "A (short 2)" in result.detail


def backorder_rules() -> SourcingRules:
    return SourcingRules(methods={SHIP: MethodPolicy(allow_backorder=True)})


def test_backorder_waits_for_the_earliest_incoming_supply_with_its_date():
    later = IncomingSupply("A", 10, date(2024, 5, 20))
    sooner = IncomingSupply("A", 10, date(2024, 5, 15))
    cands = [
        loc(1, 60, {"A": 1}),
        loc(2, 300, {}, kind=LocationType.DC, incoming=[sooner]),
        loc(3, 100, {}, incoming=[later]),
    ]
    decision = decided(run(cands, {"A": 3}, rules=backorder_rules()))
    assert shares(decision) == {1: {"A": 1}}
    (backorder,) = decision.backorders
    assert (backorder.sku, backorder.quantity, backorder.location_id) == ("A", 2, 2)
    assert backorder.available_on == date(2024, 5, 15)
    # Received Wednesday, sent Thursday, zone 2 ground takes two business days.
    assert backorder.arrives_on == date(2024, 5, 20)


def test_backorder_fails_when_incoming_supply_is_not_enough():
    cands = [loc(1, 60, {"A": 1}, incoming=[IncomingSupply("A", 1, date(2024, 5, 15))])]
    result = refused(run(cands, {"A": 3}, rules=backorder_rules()))
    assert result.reason is NoPlanReason.INSUFFICIENT_STOCK
    assert "A (short 1)" in result.detail


def test_a_cart_entirely_backordered_has_no_package_yet():
    cands = [loc(1, 60, {}, incoming=[IncomingSupply("A", 5, date(2024, 5, 15))])]
    decision = decided(run(cands, {"A": 2}, rules=backorder_rules()))
    assert decision.packages == () and decision.window is None
    assert decision.explanation.basis is Basis.ALL_BACKORDERED
    assert [(b.sku, b.quantity) for b in decision.backorders] == [("A", 2)]


def test_supply_at_a_location_excluded_by_a_location_rule_is_not_used():
    rules = SourcingRules(methods={SHIP: MethodPolicy(allow_backorder=True, max_distance_km=100)})
    cands = [loc(1, 60, {"A": 1}), loc(2, 300, {}, incoming=[IncomingSupply("A", 9, date.max)])]
    assert refused(run(cands, {"A": 2}, rules=rules)).reason is NoPlanReason.INSUFFICIENT_STOCK


def test_to_plan_gives_the_fulfilment_plan_the_services_persist():
    decision = decided(run([loc(1, 60, {"A": 2}), loc(2, 300, {"A": 2})], {"A": 3}))
    plan = decision.to_plan()
    assert isinstance(plan, FulfilmentPlan)
    assert plan.location_ids == decision.location_ids
    assert [dict(a.quantities) for a in plan.allocations] == [
        dict(p.quantities) for p in decision.packages
    ]


def test_the_bound_prunes_combinations_that_cannot_beat_the_runner_up():
    # Many stores hold the whole cart; splitting can only add base fees, so the bound cuts:
    # no split is tried, and no pool is even built (two floors cost more than one box).
    cands = [loc(i, 60 + i, {"A": 5, "B": 5}) for i in range(1, 41)]
    decision = decided(run(cands, {"A": 1, "B": 1}))
    stats = decision.explanation.stats
    assert stats is not None
    assert stats.singles == 40
    assert stats.combinations == 0 and stats.pool == 0


def test_a_far_warehouse_with_cheap_labour_is_the_split_partner_for_the_lines_it_holds():
    # The main store holds four of the six lines. Twenty nearer-ranked stores hold A and B
    # and four stores each hold E or F; they fill the pair pool by floor and by coverage,
    # ahead of a far DC whose one-line floor is dearer. Yet the DC, picking at 0.50 a line,
    # is the cheapest location to send E and F together: one partner instead of two.
    weights = {**WEIGHTS, "E": 300, "F": 300}
    lines = {"A": 1, "B": 1, "C": 1, "D": 1, "E": 1, "F": 1}
    main = loc(1, 10, {"A": 1, "B": 1, "C": 1, "D": 1}, labour=labour(300))
    blockers = [loc(100 + i, 20 + i, {"A": 1, "B": 1}, labour=labour(450)) for i in range(20)]
    singles = [
        loc(200 + i, 15 + i, {sku: 1}, labour=labour(450))
        for i, sku in enumerate(["E"] * 4 + ["F"] * 4)
    ]
    dc = loc(9, 2_000, {"E": 5, "F": 5}, kind=LocationType.DC, labour=labour(50))
    everyone = [main, *blockers, *singles, dc]
    for nearest in (None, len(everyone) - 1):
        request = SourcingRequest("WEB", SHIP, lines, everyone, NOW, weights, currency="USD")
        decision = decided(decide(request, SourcingRules(nearest_usable=nearest), rates=RATES))
        assert shares(decision) == {1: {"A": 1, "B": 1, "C": 1, "D": 1}, 9: {"E": 1, "F": 1}}
