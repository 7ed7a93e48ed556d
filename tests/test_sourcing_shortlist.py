"""The shortlist: a decision screens the nearest usable locations, and past them only the
farther ones that could still improve on them."""

from __future__ import annotations

from datetime import date

import pytest

from omnigraph.domain.errors import DomainError
from omnigraph.domain.money import Money
from omnigraph.domain.sourcing import (
    IncomingSupply,
    MarginRule,
    MethodPolicy,
    NoPlanReason,
    PickLabour,
    SourcingDecision,
    SourcingRules,
)
from omnigraph.domain.sourcing.eligibility import LISTED
from omnigraph.domain.sourcing.shortlist import FARTHER_SCREENED
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType
from tests.test_sourcing_builders import decided, loc, refused, run

SHIP = DeliveryMethod.SHIP_STANDARD


def labour(per_line: int) -> PickLabour:
    return PickLabour(Money(per_line, "USD"), Money.zero("USD"))


def stores(count: int, stock: dict[str, int], *, first_km: float = 5.0) -> list:
    """``count`` stores one kilometre apart from ``first_km``, each picking at 3.00 a line."""
    first_id = 100 + int(first_km)
    return [loc(first_id + i, first_km + i, stock, labour=labour(300)) for i in range(count)]


def rules(nearest: int | None) -> SourcingRules:
    return SourcingRules(nearest_usable=nearest)


def screened(decision: SourcingDecision) -> set[int]:
    return {v.location_id for v in decision.explanation.candidates}


def test_farther_locations_that_cannot_improve_are_not_screened():
    # No location holds the whole cart, so only the shortlist limits the screening.
    near = [*stores(5, {"A": 5}), *stores(5, {"B": 5}, first_km=20)]
    far = stores(30, {"A": 5}, first_km=400)
    decision = decided(run([*near, *far], {"A": 1, "B": 1}, rules=rules(10)))
    assert screened(decision) == {c.location_id for c in near}
    assert decision.explanation.unscreened == 30
    assert decision.explanation.outpriced == 0
    assert "30 farther locations not screened" in decision.explanation.narrative()[-1]


def test_locations_that_cost_more_than_a_whole_cart_plan_are_not_screened():
    # Forty candidates, more than the shortlist's 20: the price bound applies.
    near = stores(10, {"A": 5})
    far = stores(30, {"A": 5}, first_km=400)
    decision = decided(run([*near, *far], {"A": 1}, rules=rules(20)))
    # The shortlist of 20 never fills. Every near store asks the same, so each could tie
    # with the best: all are screened.
    assert screened(decision) == {c.location_id for c in near}
    assert decision.explanation.outpriced == 30
    assert decision.explanation.unscreened == 0
    assert "30 locations not screened: even their cheapest" in decision.explanation.narrative()[-1]
    # The same decision as screening everything.
    assert (
        decision.location_ids
        == decided(run([*near, *far], {"A": 1}, rules=rules(None))).location_ids
    )


def test_the_cheapest_whole_cart_holder_is_screened_first_wherever_it_is():
    # Thirty near stores hold part of the cart; a far DC with cheap labour holds it all.
    near = [*stores(15, {"A": 5}), *stores(15, {"B": 5}, first_km=30)]
    dc = loc(1, 300, {"A": 9, "B": 9}, kind=LocationType.DC, labour=labour(10))
    everything = decided(run([*near, dc], {"A": 1, "B": 1}, rules=rules(None)))
    bounded = decided(run([*near, dc], {"A": 1, "B": 1}, rules=rules(10)))
    assert bounded.location_ids == everything.location_ids
    assert bounded.cost == everything.cost
    # Stores whose single cheapest package already costs more than the DC's whole cart
    # were never screened.
    assert bounded.explanation.outpriced > 0
    assert len(screened(bounded)) < len(screened(everything))


def test_screening_every_candidate_is_a_rule_choice():
    candidates = [*stores(10, {"A": 5}), *stores(30, {"A": 5}, first_km=400)]
    decision = decided(run(candidates, {"A": 1}, rules=rules(None)))
    assert len(screened(decision)) == 40 and decision.explanation.unscreened == 0


def test_a_far_location_holding_the_whole_cart_is_still_screened_and_saves_a_split():
    near = [*stores(5, {"A": 1}), *stores(5, {"B": 1}, first_km=20)]
    whole = loc(7, 900, {"A": 1, "B": 1}, labour=labour(300))
    decision = decided(
        run(
            [*near, whole],
            {"A": 1, "B": 1},
            rules=SourcingRules(
                methods={SHIP: MethodPolicy(split_penalty=Money(5_000, "USD"))}, nearest_usable=10
            ),
        )
    )
    assert 7 in screened(decision)
    assert decision.location_ids == (7,)


def test_a_far_location_with_cheaper_labour_is_still_screened_and_chosen():
    near = stores(10, {"A": 1, "B": 1, "C": 1})
    dc = loc(1, 1_200, {"A": 9, "B": 9, "C": 9}, kind=LocationType.DC, labour=labour(10))
    decision = decided(run([*near, dc], {"A": 1, "B": 1, "C": 1}, rules=rules(10)))
    assert 1 in screened(decision)
    # Nine lines of store labour (3 x 3.00) cost more than the DC's farther zone.
    assert decision.location_ids == (1,)


def test_a_far_location_with_dearer_labour_is_passed_over():
    near = stores(10, {"A": 1, "B": 1, "C": 1})
    dear = loc(1, 1_200, {"A": 9, "B": 9, "C": 9}, kind=LocationType.DC, labour=labour(900))
    decision = decided(run([*near, dear], {"A": 1, "B": 1, "C": 1}, rules=rules(10)))
    assert 1 not in screened(decision)
    assert decision.explanation.unscreened == 1


def test_incoming_supply_beyond_the_shortlist_counts_for_backorders():
    near = stores(3, {"A": 1})
    supply = IncomingSupply("A", 10, date(2024, 5, 20))
    far = loc(9, 800, {}, incoming=[supply])
    backorders = SourcingRules(methods={SHIP: MethodPolicy(allow_backorder=True)}, nearest_usable=3)
    decision = decided(run([*near, far], {"A": 5}, rules=backorders))
    assert [b.location_id for b in decision.backorders] == [9]


def test_when_the_shortlist_cannot_plan_every_candidate_is_screened():
    # The nearest two hold line A only. Farther holders of line B are screened up to a
    # budget, which ten that cannot ship use up: only a full screening finds the one that
    # can. Nobody holds the whole cart, so no price bound applies.
    near = [loc(10 + i, 5 + i, {"A": 1}) for i in range(2)]
    cannot_ship = [loc(50 + i, 100 + i, {"B": 1}, capabilities=()) for i in range(FARTHER_SCREENED)]
    far = loc(99, 2_000, {"B": 1})
    two_boxes = SourcingRules(methods={SHIP: MethodPolicy(max_packages=2)}, nearest_usable=2)
    decision = decided(run([*near, *cannot_ship, far], {"A": 1, "B": 1}, rules=two_boxes))
    assert 99 in decision.location_ids
    assert decision.explanation.unscreened == 0


def test_farther_stock_is_used_rather_than_waiting_for_supply():
    # The nearest three hold 2 each; farther stores hold 4 each, none the whole line. The
    # shortlist alone would ship 6 and wait for supply for 4; farther stock ships all 10.
    near = [loc(10 + i, 5 + i, {"A": 2}) for i in range(3)]
    farther = [loc(50 + i, 200 + i, {"A": 4}) for i in range(5)]
    supply = loc(99, 30, {}, incoming=[IncomingSupply("A", 50, date(2024, 5, 20))])
    waiting_allowed = SourcingRules(
        methods={SHIP: MethodPolicy(allow_backorder=True)}, nearest_usable=3
    )
    decision = decided(run([*near, *farther, supply], {"A": 10}, rules=waiting_allowed))
    assert decision.backorders == ()
    assert sum(p.quantities["A"] for p in decision.packages) == 10


def test_the_shortlist_counts_only_stock_the_thresholds_let_it_use():
    # Near stores hold the whole cart but below the stores' minimum, so none can send it:
    # the far DC holding it all is still screened, and one package is sent from it.
    near = [loc(10 + i, 5 + i, {"A": 2, "B": 2}) for i in range(4)]
    near += [loc(20 + i, 10 + i, {"A": 5}) for i in range(4)]
    dc = loc(1, 900, {"A": 9, "B": 9}, kind=LocationType.DC)
    thresholds = SourcingRules(
        methods={SHIP: MethodPolicy(min_stock={LocationType.STORE: 3})}, nearest_usable=4
    )
    decision = decided(run([*near, dc], {"A": 1, "B": 1}, rules=thresholds))
    assert decision.location_ids == (1,)


def test_cost_terms_and_the_margin_rule_screen_every_candidate():
    near = stores(10, {"A": 5})
    far = stores(30, {"A": 5}, first_km=400)
    margin = SourcingRules(margin=MarginRule(Money(250, "USD")), nearest_usable=10)
    decision = decided(run([*near, *far], {"A": 1}, rules=margin))
    assert decision.explanation.unscreened == 0 and len(screened(decision)) == 40


def test_the_shortlist_must_hold_at_least_one_location():
    with pytest.raises(DomainError) as error:
        SourcingRules(nearest_usable=0)
    assert error.value.problems[0].field == ("nearest_usable",)


def test_locations_beyond_the_methods_reach_are_counted_once_enough_are_listed():
    near = [loc(10 + i, 1 + i / 100, {"A": 1}, capabilities=()) for i in range(LISTED)]
    far = [loc(500 + i, 80 + i, {"A": 1}) for i in range(5)]
    result = refused(run([*near, *far], {"A": 1}, method=DeliveryMethod.PICKUP))
    assert len(result.explanation.candidates) == LISTED
    assert result.explanation.beyond_reach == 5
    assert result.reason is NoPlanReason.NO_CAPABLE_LOCATION
    assert "5 more locations beyond the method's reach" in result.explanation.narrative()
    listed_far = decided(run(far, {"A": 1}, method=DeliveryMethod.SHIP_STANDARD))
    assert listed_far.explanation.beyond_reach == 0
