"""Cost rules: carrier rates, pick labour, split penalty, plugin terms, margin rule, SLA first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.money import Money
from omnigraph.domain.sourcing import (
    Basis,
    CostContext,
    MarginRule,
    MethodPolicy,
    PickLabour,
    PlannedPackage,
    Reason,
    SourcingRules,
)
from omnigraph.domain.sourcing.costs import CostBreakdown, PackageCost
from omnigraph.domain.sourcing.explanation import PlanSummary
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType
from tests.test_sourcing_builders import WEIGHTS, decided, ground_minor, loc, per_unit, run, usd

DC = LocationType.DC


def test_shipping_comes_from_the_rate_table_by_distance_zone_and_weight():
    decision = decided(run([loc(1, 300, {"A": 3, "B": 1})], {"A": 3, "B": 1}))
    weight = 3 * WEIGHTS["A"] + WEIGHTS["B"]
    assert decision.cost.shipping.minor == ground_minor(300, weight)
    assert decision.packages[0].cost.service == "GROUND"
    # Nearer is a cheaper zone, so with nothing else different the nearer location wins.
    assert decided(run([loc(1, 300, {"A": 1}), loc(2, 60, {"A": 1})])).location_ids == (2,)


def test_labour_is_charged_per_line_and_per_unit():
    labour = PickLabour(per_line=usd("1.00"), per_unit=usd("0.25"))
    decision = decided(run([loc(1, 60, {"A": 3, "C": 2}, labour=labour)], {"A": 3, "C": 2}))
    assert decision.cost.labour == usd("1.00").times(2) + usd("0.25").times(5)
    assert decision.cost.total == decision.cost.shipping + decision.cost.labour


def test_labour_steers_to_a_further_location_when_picking_nearby_costs_more():
    near = loc(1, 60, {"A": 1}, labour=per_unit("5.00"))
    far = loc(2, 300, {"A": 1}, kind=DC, labour=per_unit("0.50"))
    decision = decided(run([near, far]))
    assert decision.location_ids == (2,)
    assert decision.explanation.basis is Basis.LOWEST_COST
    runner = decision.explanation.runner_up
    assert runner is not None and runner.location_ids == (1,)
    assert runner.cost.total.minor > decision.cost.total.minor


def split_setup(penalty: str | None):
    # Two near stores each hold one line; a far warehouse holds both but picks expensively.
    cands = [
        loc(1, 60, {"A": 1}),
        loc(2, 60, {"B": 1}),
        loc(3, 900, {"A": 1, "B": 1}, kind=DC, labour=per_unit("10.00")),
    ]
    policy = MethodPolicy(split_penalty=usd(penalty) if penalty else None)
    rules = SourcingRules(methods={DeliveryMethod.SHIP_STANDARD: policy})
    return run(cands, {"A": 1, "B": 1}, rules=rules)


def test_splitting_wins_when_it_is_cheaper_and_the_penalty_is_small():
    decision = decided(split_setup(None))
    assert decision.location_ids == (1, 2)
    assert decision.cost.split_penalty == usd("0")


def test_split_penalty_steers_towards_fewer_packages():
    decision = decided(split_setup("20.00"))
    assert decision.location_ids == (3,)
    runner = decision.explanation.runner_up
    assert runner is not None and runner.location_ids == (1, 2)
    assert runner.cost.split_penalty == usd("20.00")


def test_equal_cost_prefers_fewer_packages():
    pair = ground_minor(60, WEIGHTS["A"]) + ground_minor(60, WEIGHTS["B"])
    single_shipping = ground_minor(60, WEIGHTS["A"] + WEIGHTS["B"])
    labour = pair - single_shipping  # makes the one-box plan cost exactly the two-box plan
    assert labour > 0 and labour % 2 == 0
    cands = [
        loc(1, 60, {"A": 1}),
        loc(2, 60, {"B": 1}),
        loc(3, 60, {"A": 1, "B": 1}, labour=PickLabour(usd("0"), Money(labour // 2, "USD"))),
    ]
    decision = decided(run(cands, {"A": 1, "B": 1}))
    assert decision.location_ids == (3,)
    assert decision.explanation.basis is Basis.FEWER_PACKAGES
    runner = decision.explanation.runner_up
    assert runner is not None and runner.cost.total == decision.cost.total


def test_equal_cost_and_size_break_on_location_id():
    cands = [loc(2, 60, {"A": 1}), loc(1, 60, {"A": 1})]
    decision = decided(run(cands))
    assert decision.location_ids == (1,)
    assert decision.explanation.basis is Basis.LOWER_LOCATION_ID


@dataclass
class StoreSurcharge:
    name: str = "store-surcharge"

    def cost(self, package: PlannedPackage, context: CostContext) -> Money:
        if package.source.location_type is LocationType.STORE:
            return Money(1000, context.currency)
        return Money.zero(context.currency)


def test_plugin_cost_terms_are_added_and_named_in_the_breakdown():
    cands = [loc(1, 60, {"A": 1}), loc(2, 300, {"A": 1}, kind=DC)]
    assert decided(run(cands)).location_ids == (1,)
    decision = decided(run(cands, cost_terms=[StoreSurcharge()]))
    assert decision.location_ids == (2,)
    runner = decision.explanation.runner_up
    assert runner is not None
    assert runner.cost.packages[0].terms == (("store-surcharge", usd("10.00")),)
    assert decision.cost.terms == usd("0")


def margin_setup(threshold: str):
    # The store is far (zone 4), the warehouse near (zone 0) but with dear labour, so on
    # total cost the store wins while its shipping is 3.40 dearer than the warehouse's.
    store = loc(1, 1200, {"A": 1})
    dc = loc(2, 60, {"A": 1}, kind=DC, labour=per_unit("5.00"))
    rules = SourcingRules(margin=MarginRule(usd(threshold)))
    return run([store, dc], rules=rules)


def test_margin_rule_uses_the_warehouse_when_store_shipping_is_dearer_by_more_than_the_margin():
    extra = ground_minor(1200, 500) - ground_minor(60, 500)
    assert extra > 250
    decision = decided(margin_setup("2.50"))
    assert decision.location_ids == (2,)
    assert decision.explanation.basis is Basis.MARGIN_RULE
    runner = decision.explanation.runner_up
    assert runner is not None and runner.location_ids == (1,)
    assert runner.cost.total.minor < decision.cost.total.minor


def test_margin_rule_keeps_the_store_inside_the_margin():
    decision = decided(margin_setup("4.00"))
    assert decision.location_ids == (1,)
    assert decision.explanation.basis is Basis.LOWEST_COST


def test_sla_wins_over_cost():
    cheap_slow = loc(1, 1200, {"A": 1}, kind=DC)
    dear_fast = loc(2, 60, {"A": 1}, labour=per_unit("20.00"))
    assert decided(run([cheap_slow, dear_fast])).location_ids == (1,)
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(promise_business_days=2)}
    )
    decision = decided(run([cheap_slow, dear_fast], rules=rules))
    assert decision.location_ids == (2,)
    assert decision.explanation.reason_for(1) is Reason.SLA_MISSED
    assert decision.window is not None and decision.deadline is not None
    assert decision.window.earliest <= decision.deadline


def test_collection_has_no_shipping_and_same_day_uses_the_local_courier():
    pickup = decided(run([loc(1, 5, {"A": 1})], method=DeliveryMethod.PICKUP))
    assert pickup.cost.shipping == usd("0") and pickup.packages[0].cost.service is None
    same_day = decided(run([loc(1, 5, {"A": 1})], method=DeliveryMethod.SAME_DAY))
    assert same_day.packages[0].cost.service == "LOCAL_COURIER"
    assert same_day.cost.shipping.minor > 0


def test_explanation_narrative_names_the_chosen_plan_runner_up_and_rejections():
    cands = [loc(1, 60, {"A": 1}), loc(2, 300, {"A": 1}), loc(3, 5, {"B": 1})]
    decision = decided(run(cands))
    lines = decision.explanation.narrative()
    assert lines[0].startswith("chosen (LOWEST_COST): STORE-1")
    assert lines[1].startswith("runner-up: STORE-2")
    assert any("STORE-3" in line and "NO_STOCK" in line for line in lines)


_MINORS = st.integers(0, 10**7)


def _cents(minor: int) -> Money:
    return Money(minor, "USD")


_PACKAGES = st.builds(
    PackageCost,
    location_id=st.integers(1, 500),
    service=st.none() | st.just("GROUND"),
    shipping=_MINORS.map(_cents),
    labour=_MINORS.map(_cents),
    terms=st.lists(st.tuples(st.sampled_from(["co2", "fee"]), _MINORS.map(_cents)), max_size=2).map(
        tuple
    ),
)


@given(st.lists(_PACKAGES, min_size=1, max_size=4), _MINORS)
def test_a_plans_minor_units_are_its_amounts(packages: list[PackageCost], split: int) -> None:
    cost = CostBreakdown(tuple(packages), _cents(split))
    assert cost.minors() == (
        cost.shipping.minor,
        cost.labour.minor,
        cost.terms.minor,
        cost.split_penalty.minor,
        cost.total.minor,
    )
    summary = PlanSummary(
        tuple(p.location_id for p in packages),
        tuple(f"L{p.location_id}" for p in packages),
        tuple({"SKU": 1} for _ in packages),
        cost,
        date(2026, 11, 24),
    )
    # The narrative's line, as it read when written from each amount's ``Money``.
    assert summary.describe() == (
        f"{' + '.join(summary.codes)}: {cost.total} (shipping {cost.shipping}, labour"
        f" {cost.labour}, split {cost.split_penalty}, other {cost.terms}), arrives 2026-11-24"
    )
