"""The search's budget, its best-first order, and fewer packages on equal cost."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from omnigraph.domain.money import Money
from omnigraph.domain.sourcing import (
    Basis,
    PickLabour,
    SourcingCandidate,
    SourcingRules,
)
from omnigraph.domain.sourcing.combinations import Frontier
from omnigraph.domain.sourcing.costs import CostContext, Pricer
from omnigraph.domain.sourcing.eligibility import screen
from omnigraph.domain.sourcing.search import SEARCH_BUDGET, Plan, SearchResult, search
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType
from tests.test_sourcing_builders import RATES, WEIGHTS, decided, ground_minor, loc, request, run

SHIP = DeliveryMethod.SHIP_STANDARD
SKUS = ("A", "B", "C", "D")


def searched(
    cands: Sequence[SourcingCandidate],
    lines: Mapping[str, int],
    *,
    budget: int | None,
    penalty_minor: int = 0,
    max_packages: int = 3,
) -> SearchResult:
    """The search alone, over every eligible candidate, as ``decide`` would run it."""
    rules = SourcingRules(nearest_usable=None)
    policy = rules.policy_for("WEB", SHIP)
    pricer = Pricer(RATES, SHIP, CostContext("WEB", SHIP, "USD"), WEIGHTS, ())
    screening = screen(request(cands, lines), policy, rules.channel("WEB"), (), pricer)
    return search(
        screening.usable,
        lines,
        pricer,
        max_packages=max_packages,
        penalty_minor=penalty_minor,
        budget=budget,
    )


def described(plan: Plan | None) -> object:
    if plan is None:
        return None
    parts = [(u.location_id, dict(q)) for u, q in plan.parts]
    return plan.key(), parts, plan.cost


def crowded(km: float = 60) -> list[SourcingCandidate]:
    """Stores at one distance, each holding two of the four SKUs: no store holds the cart,
    and the dozens of complementary pairs all cost the same, so the bound cuts none."""
    return [
        loc(index, km, dict.fromkeys(pair, 3))
        for index, pair in enumerate(
            [p for p in itertools.combinations(SKUS, 2) for _ in range(4)], start=1
        )
    ]


def test_the_budget_caps_the_combinations_tried():
    cart = dict.fromkeys(SKUS, 1)
    unbounded = searched(crowded(), cart, budget=None)
    assert unbounded.stats.combinations > SEARCH_BUDGET
    assert not unbounded.stats.cut_short
    bounded = searched(crowded(), cart, budget=SEARCH_BUDGET)
    assert bounded.stats.combinations == SEARCH_BUDGET
    assert bounded.stats.cut_short
    # Every complementary pair costs the same here, so the budget loses nothing.
    assert bounded.ranked[0].total_minor == unbounded.ranked[0].total_minor
    assert bounded.ranked[0].packages == 2


def test_decide_applies_the_budget_and_says_it_cut_the_search_short():
    decision = decided(run(crowded(), dict.fromkeys(SKUS, 1)))
    stats = decision.explanation.stats
    assert stats is not None
    assert stats.combinations == SEARCH_BUDGET and stats.cut_short
    runner = decision.explanation.runner_up
    assert runner is not None and len(runner.location_ids) == 2
    # The runner-up of a search cut short is still a real plan covering the cart, and its
    # breakdown is what the carrier charges for each box (these stores pick for free).
    covered: dict[str, int] = {}
    for quantities, package in zip(runner.quantities, runner.cost.packages, strict=True):
        grams = sum(WEIGHTS[sku] * qty for sku, qty in quantities.items())
        assert package.shipping.minor == ground_minor(60, grams)
        for sku, qty in quantities.items():
            covered[sku] = covered.get(sku, 0) + qty
    assert covered == dict.fromkeys(SKUS, 1)


def test_combinations_are_tried_cheapest_bound_first():
    # A near pair and a far pair cover the cart; the near one is tried first, so a budget
    # of one combination still finds it.
    cands = [
        loc(1, 2500, {"A": 1}),
        loc(2, 2600, {"B": 1}),
        loc(3, 20, {"A": 1}),
        loc(4, 30, {"B": 1}),
    ]
    result = searched(cands, {"A": 1, "B": 1}, budget=1)
    assert result.stats.combinations == 1 and result.stats.cut_short
    assert result.ranked[0].location_ids == (3, 4)
    assert result.ranked[0] == searched(cands, {"A": 1, "B": 1}, budget=None).ranked[0]


def near_halves(km: float) -> list[SourcingCandidate]:
    halves = [{"A": 1, "B": 1}, {"C": 1, "D": 1}]
    return [loc(90 + index, km, halves[index % 2]) for index in range(4)]


def test_combinations_that_cannot_beat_the_runner_up_are_not_tried():
    # Four near stores make four cheap pairs; the crowd of far pairs cannot beat them, and
    # the bound rules every one of them out.
    cart = dict.fromkeys(SKUS, 1)
    result = searched(crowded(km=1200) + near_halves(10), cart, budget=None)
    assert all(set(plan.location_ids) <= {90, 91, 92, 93} for plan in result.ranked)
    assert result.stats.combinations <= 4 and not result.stats.cut_short
    # The far crowd alone needs every one of its pairs tried.
    assert searched(crowded(km=1200), cart, budget=None).stats.combinations > SEARCH_BUDGET


def test_on_equal_cost_the_nearer_stores_are_pooled_and_chosen():
    # Near and far pairs cost the same (one carrier zone); the plan's tie-break prefers the
    # shorter trips, so the pool must not leave the near stores out for lower ids.
    cart = dict.fromkeys(SKUS, 1)
    result = searched(crowded(km=60) + near_halves(5), cart, budget=SEARCH_BUDGET)
    best = result.ranked[0]
    assert ground_minor(5, 2000) == ground_minor(60, 2000)
    assert set(best.location_ids) <= {90, 91, 92, 93}


@st.composite
def networks(draw):
    """Up to 24 locations on few distances and labour rates, most holding only part of the
    cart, so that many combinations cover it and tie on their bound: searches longer than
    the budget are common."""
    cart = dict.fromkeys(draw(st.sets(st.sampled_from(SKUS), min_size=3)), 1)
    if draw(st.booleans()):
        cart[min(cart)] = 2
    count = draw(st.integers(2, 24))
    cands = []
    for location_id in range(1, count + 1):
        held = draw(st.sets(st.sampled_from(SKUS), min_size=1, max_size=2))
        cands.append(
            loc(
                location_id,
                draw(st.sampled_from([60, 60, 60, 150, 400])),
                {sku: draw(st.integers(1, 3)) for sku in sorted(held)},
                kind=draw(st.sampled_from([LocationType.STORE, LocationType.DC])),
                labour=PickLabour(
                    Money(draw(st.sampled_from([0, 0, 120])), "USD"),
                    Money(draw(st.sampled_from([0, 0, 10])), "USD"),
                ),
            )
        )
    return cands, cart, draw(st.sampled_from([0, 0, 250, 1000])), draw(st.sampled_from([2, 3, 3]))


@settings(max_examples=200, deadline=None)
@given(networks(), st.sampled_from([1, 2, 3, 5, 8, SEARCH_BUDGET]))
def test_a_budget_changes_nothing_when_the_exact_search_fits_in_it(network, budget):
    # Small budgets too: the random networks rarely need SEARCH_BUDGET combinations.
    cands, cart, penalty, max_packages = network
    exact = searched(cands, cart, budget=None, penalty_minor=penalty, max_packages=max_packages)
    bounded = searched(cands, cart, budget=budget, penalty_minor=penalty, max_packages=max_packages)
    if exact.stats.combinations <= budget:
        assert not bounded.stats.cut_short
        assert bounded.stats == exact.stats
        assert [described(p) for p in bounded.ranked] == [described(p) for p in exact.ranked]
        assert described(bounded.best_preferred) == described(exact.best_preferred)
    else:
        assert bounded.stats.cut_short and bounded.stats.combinations == budget
        # A search cut short never beats the exact one, and still finds a plan.
        assert bounded.ranked[0].key() >= exact.ranked[0].key()


@settings(max_examples=100, deadline=None)
@given(networks())
def test_on_equal_cost_the_runner_up_never_has_fewer_packages(network):
    cands, cart, penalty, max_packages = network
    result = searched(
        cands, cart, budget=SEARCH_BUDGET, penalty_minor=penalty, max_packages=max_packages
    )
    if len(result.ranked) == 2:
        best, runner = result.ranked
        assert best.total_minor <= runner.total_minor
        if best.total_minor == runner.total_minor:
            assert best.packages <= runner.packages


def test_equal_cost_prefers_two_packages_over_three():
    # Two boxes ({4: A, B} and {3: C}) cost exactly what three ({1: A}, {2: B}, {3: C}) do:
    # location 4's labour makes up what one box saves on the carrier.
    saved = ground_minor(60, WEIGHTS["A"]) + ground_minor(60, WEIGHTS["B"])
    saved -= ground_minor(60, WEIGHTS["A"] + WEIGHTS["B"])
    per_line = (saved + 1) // 2
    cands = [
        loc(
            1, 60, {"A": 1}, labour=PickLabour(Money(2 * per_line - saved, "USD"), Money(0, "USD"))
        ),
        loc(2, 60, {"B": 1}),
        loc(3, 60, {"C": 1}),
        loc(4, 60, {"A": 1, "B": 1}, labour=PickLabour(Money(per_line, "USD"), Money(0, "USD"))),
    ]
    decision = decided(run(cands, {"A": 1, "B": 1, "C": 1}))
    assert decision.location_ids == (3, 4)
    assert decision.explanation.basis is Basis.FEWER_PACKAGES
    runner = decision.explanation.runner_up
    assert runner is not None and runner.location_ids == (1, 2, 3)
    assert runner.cost.total == decision.cost.total


class FloorsOnly:
    """What ``Frontier`` reads of a pool: its size, its members' floors (sorted) and keys."""

    def __init__(self, floors: Sequence[int], size: int) -> None:
        self.floors = list(floors)
        self.members = self.floors
        self.size = size

    def key(self, indices: tuple[int, ...]) -> int:
        return sum(self.floors[i] for i in indices) + 100 * self.size


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=12).map(sorted))
def test_the_frontier_lists_every_combination_once_cheapest_first(floors):
    pools = [FloorsOnly(floors, size) for size in (2, 3, 4) if size <= len(floors)]
    frontier = Frontier(pools)  # type: ignore[arg-type]
    listed: list[tuple[int, tuple[int, ...]]] = []
    keys: list[int] = []
    while (key := frontier.peek()) is not None:
        pool, indices = frontier.pop()
        assert pool.key(indices) == key
        keys.append(key)
        listed.append((pool.size, indices))
    assert keys == sorted(keys)
    every = [
        (pool.size, combination)
        for pool in pools
        for combination in itertools.combinations(range(len(floors)), pool.size)
    ]
    assert sorted(listed) == sorted(every)


def test_a_split_lists_its_packages_by_location_id_whatever_the_pool_order():
    # The near store (id 9) has the lower floor, so the pool draws it first; the plan, its
    # key and its explanation still list the packages by location id.
    decision = decided(run([loc(9, 10, {"A": 1}), loc(2, 900, {"B": 1})], {"A": 1, "B": 1}))
    assert decision.location_ids == (2, 9)
    assert [p.location_id for p in decision.cost.packages] == [2, 9]
    chosen = decision.explanation.chosen
    assert chosen is not None and chosen.location_ids == (2, 9)
