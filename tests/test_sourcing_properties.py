"""Invariants of every decision, over random networks, carts and rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnigraph.domain.money import Money
from omnigraph.domain.sourcing import (
    ChannelPolicy,
    IncomingSupply,
    MethodPolicy,
    NoPlan,
    PickLabour,
    SourcingDecision,
    SourcingRules,
    decide,
    shortlist,
)
from omnigraph.domain.sourcing.costs import CostContext, Pricer
from omnigraph.domain.sourcing.eligibility import screen
from omnigraph.domain.sourcing.parts import CheapestParts
from omnigraph.domain.sourcing.request import in_screening_order, nearest_first
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, LocationType
from tests.test_sourcing_builders import NOW, RATES, decided, ground_minor, loc, request

SKUS = ("A", "B", "C")
METHODS = (
    DeliveryMethod.SHIP_STANDARD,
    DeliveryMethod.SHIP_EXPRESS,
    DeliveryMethod.PICKUP,
    DeliveryMethod.SAME_DAY,
)


@st.composite
def candidates(draw):
    count = draw(st.integers(0, 8))
    out = []
    for location_id in range(1, count + 1):
        stock = {sku: draw(st.integers(0, 5)) for sku in SKUS}
        incoming = [
            IncomingSupply(sku, draw(st.integers(1, 4)), date(2024, 5, 9) + timedelta(days=d))
            for sku in SKUS
            if (d := draw(st.integers(-1, 20))) >= 0
        ]
        capacity = draw(st.none() | st.integers(0, 3))
        out.append(
            loc(
                location_id,
                draw(st.sampled_from([3, 30, 60, 150, 400, 1200, 6000])),
                stock,
                kind=draw(st.sampled_from([LocationType.STORE, LocationType.DC])),
                capabilities=draw(st.sets(st.sampled_from(list(Capability)), min_size=1)),
                labour=PickLabour(
                    Money(draw(st.integers(0, 300)), "USD"), Money(draw(st.integers(0, 300)), "USD")
                ),
                orders_today=draw(st.integers(0, 3)),
                capacity=capacity,
                incoming=incoming,
            )
        )
    return draw(st.permutations(out))


@st.composite
def rules_for(draw, method):
    policy = MethodPolicy(
        max_distance_km=draw(st.none() | st.sampled_from([50.0, 200.0, 1000.0])),
        min_stock={LocationType.STORE: draw(st.integers(0, 3))},
        promise_business_days=0
        if method is DeliveryMethod.SAME_DAY
        else draw(st.none() | st.integers(0, 4)),
        max_packages=None if method.is_collection else draw(st.integers(1, 3)),
        split_penalty=Money(draw(st.integers(0, 2000)), "USD"),
        allow_backorder=method is not DeliveryMethod.SAME_DAY and draw(st.booleans()),
    )
    excluded = draw(st.sets(st.integers(1, 8), max_size=2))
    return SourcingRules(
        methods={method: policy},
        channels={"WEB": ChannelPolicy(excluded_location_ids=frozenset(excluded))},
    )


@st.composite
def scenarios(draw):
    method = draw(st.sampled_from(METHODS))
    cart = draw(st.dictionaries(st.sampled_from(SKUS), st.integers(1, 4), min_size=1))
    return method, cart, draw(candidates()), draw(rules_for(method))


def fingerprint(result: SourcingDecision | NoPlan) -> object:
    if isinstance(result, NoPlan):
        return (result.reason, result.detail, result.explanation)
    return (
        [(p.source.location_id, dict(p.quantities), p.cost) for p in result.packages],
        result.backorders,
        result.cost,
        result.window,
        result.explanation,
    )


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_every_decision_respects_stock_rules_sla_and_covers_the_cart(scenario):
    method, cart, cands, rules = scenario
    result = decide(request(cands, cart, method=method), rules, rates=RATES)
    policy = rules.policy_for("WEB", method)
    by_id = {c.location_id: c for c in cands}
    assert sorted(v.location_id for v in result.explanation.candidates) == sorted(by_id)
    if isinstance(result, NoPlan):
        return
    covered = dict.fromkeys(cart, 0)
    assert len(result.packages) <= policy.packages_limit(method)
    for package in result.packages:
        source = package.source
        verdict = next(
            v for v in result.explanation.candidates if v.location_id == source.location_id
        )
        assert verdict.eligible
        # Independently re-check the rules the package's location had to pass.
        assert method.capability in source.candidate.capabilities
        assert source.location_id not in rules.channel("WEB").excluded_location_ids
        limit = policy.max_distance_km
        assert limit is None or source.distance_km <= limit
        assert source.daily_capacity is None or source.orders_today < source.daily_capacity
        for sku, qty in package.quantities.items():
            available = source.candidate.stock[sku]
            assert 0 < qty <= available
            assert available >= policy.min_stock.get(source.location_type, 0)
            covered[sku] += qty
        if package.deadline is not None:
            assert package.window.earliest <= package.deadline
    incoming_left = {(c.location_id, s.sku): 0 for c in cands for s in c.incoming}
    for c in cands:
        for s in c.incoming:
            incoming_left[(c.location_id, s.sku)] += s.quantity
    for backorder in result.backorders:
        assert policy.allow_backorder
        incoming_left[(backorder.location_id, backorder.sku)] -= backorder.quantity
        covered[backorder.sku] += backorder.quantity
        assert backorder.arrives_on >= backorder.available_on
    assert all(left >= 0 for left in incoming_left.values())
    assert covered == cart


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_decisions_are_deterministic_whatever_the_candidate_order(scenario, rnd):
    method, cart, cands, rules = scenario
    first = decide(request(cands, cart, method=method), rules, rates=RATES)
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    again = decide(request(shuffled, cart, method=method), rules, rates=RATES)
    assert fingerprint(first) == fingerprint(again)


@settings(max_examples=150, deadline=None)
@given(candidates(), st.dictionaries(st.sampled_from(SKUS), st.integers(1, 3), min_size=1))
def test_never_dearer_than_the_best_single_location_and_a_huge_penalty_forbids_splits(cands, cart):
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(split_penalty=Money(1_000_000, "USD"))}
    )
    result = decide(request(cands, cart), rules, rates=RATES)
    weights = {"A": 500, "B": 1500, "C": 300}
    singles = [
        ground_minor(c.distance_km, sum(weights[s] * q for s, q in cart.items()))
        + c.labour_cost(len(cart), sum(cart.values()), "USD").minor
        for c in cands
        if Capability.SHIP in c.candidate.capabilities
        and all(c.candidate.stock.get(s, 0) >= q for s, q in cart.items())
        and c.distance_km <= 5000
        and (c.daily_capacity is None or c.orders_today < c.daily_capacity)
    ]
    if singles:
        decision = decided(result)
        assert len(decision.packages) == 1
        assert decision.cost.total.minor == min(singles)


@settings(max_examples=100, deadline=None)
@given(candidates())
def test_the_sla_is_never_traded_for_cost(cands):
    strict = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(promise_business_days=1)}
    )
    result = decide(request(cands, {"A": 1}), strict, rates=RATES)
    if isinstance(result, SourcingDecision):
        assert all(
            p.deadline is not None and p.window.earliest <= p.deadline for p in result.packages
        )
    loose = decide(request(cands, {"A": 1}), SourcingRules(), rates=RATES)
    if isinstance(result, SourcingDecision) and isinstance(loose, SourcingDecision):
        # Meeting the promise can only cost the same or more than ignoring it.
        assert result.cost.total.minor >= loose.cost.total.minor


@settings(max_examples=200, deadline=None)
@given(candidates(), st.dictionaries(st.sampled_from(SKUS), st.integers(1, 3), min_size=1))
def test_the_price_bound_never_changes_the_cost_of_the_plan(cands, cart):
    # More candidates than the shortlist, which never fills: one extra location cannot
    # ship, so at most ``len(cands)`` are usable. Only the price bound skips anyone.
    cannot_ship = loc(99, 7, {sku: 9 for sku in SKUS}, capabilities={Capability.PICKUP})
    everyone = [*cands, cannot_ship]
    # No split penalty: splits compete with a whole-cart location as often as they can.
    free_splits = {DeliveryMethod.SHIP_STANDARD: MethodPolicy(split_penalty=Money(0, "USD"))}
    bounded = SourcingRules(methods=free_splits, nearest_usable=max(1, len(cands)))
    screened_all = SourcingRules(methods=free_splits, nearest_usable=None)
    result = decide(request(everyone, cart), bounded, rates=RATES)
    full = decide(request(everyone, cart), screened_all, rates=RATES)
    assert isinstance(result, NoPlan) == isinstance(full, NoPlan)
    if isinstance(result, SourcingDecision) and isinstance(full, SourcingDecision):
        assert result.cost.total == full.cost.total
        assert len(result.packages) == len(full.packages)
        assert result.backorders == full.backorders


@settings(max_examples=200, deadline=None)
@given(candidates(), st.dictionaries(st.sampled_from(SKUS), st.integers(1, 3), min_size=1))
def test_the_parts_the_shortlist_prices_are_those_of_every_usable_location(cands, cart):
    # The shortlist prices the cart's parts when it fills and keeps them up to date as
    # farther locations join; the search takes its split partners from them. They must be
    # what pricing every usable location afresh gives, whatever the screening order.
    method = DeliveryMethod.SHIP_STANDARD
    # A shortlist of one fills at once: the rest are measured against it.
    rules = SourcingRules(nearest_usable=1)
    asked = request(cands, cart, method=method)
    policy = rules.policy_for("WEB", method)
    pricer = Pricer(RATES, method, CostContext("WEB", method, "USD"), asked.weights_grams, ())
    screening = screen(asked, policy, rules.channel("WEB"), (), pricer, rules.nearest_usable)
    if screening.parts is None:
        return
    afresh = CheapestParts(cart, pricer)
    for usable in screening.usable:
        afresh.offer(usable.source, afresh.held(usable.stock))
    assert {part: found[:3] for part, found in screening.parts.best.items()} == {
        part: found[:3] for part, found in afresh.best.items()
    }
    assert screening.parts.partners() == afresh.partners()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(candidates(), min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(SKUS), st.integers(1, 3), min_size=1),
    st.integers(1, 3),
    st.integers(1, 2),
    st.booleans(),
)
def test_ending_the_walk_once_nobody_farther_can_be_admitted_changes_nothing(
    groups, cart, nearest, farther, backorders
):
    # A few admissions per kind use the kinds up early; the decision and its explanation
    # (verdicts, counts of those passed over) must be those of walking every candidate.
    cands = []
    for offset, group in enumerate(groups):
        for c in group:
            cands.append(
                replace(c, candidate=replace(c.candidate, location_id=c.location_id + 10 * offset))
            )
    method = DeliveryMethod.SHIP_STANDARD
    rules = SourcingRules(
        methods={method: MethodPolicy(allow_backorder=backorders)}, nearest_usable=nearest
    )
    asked = request(cands, cart, method=method)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shortlist, "FARTHER_SCREENED", farther)
        ended = decide(asked, rules, rates=RATES)
        patch.setattr(shortlist.Shortlist, "closed", lambda self: False)
        walked = decide(asked, rules, rates=RATES)
    assert fingerprint(ended) == fingerprint(walked)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(0, 6000, allow_nan=False),
    st.integers(0, 80_000),
    st.sampled_from(list(DeliveryMethod)),
)
def test_a_locations_price_line_prices_every_weight_as_its_quotes_do(km, grams, method):
    # The cheapest parts are priced from one line per location rather than a quote each:
    # the line must answer exactly what ``shipping_minor`` answers, reach and weight limit
    # included.
    pricer = Pricer(RATES, method, CostContext("WEB", method, "USD"), {}, ())
    source = loc(1, km, {})
    line = pricer.price_line(source)
    shipping = pricer.shipping_minor(source, grams)
    if line is None:
        assert shipping is None
        return
    base, per_kg, heaviest = line
    kilograms = max(1, -(-grams // 1000))
    assert shipping == (base + per_kg * kilograms if grams <= heaviest else None)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 3.5, 7.0, 12.25]),
            st.dictionaries(st.sampled_from(SKUS), st.integers(0, 3), max_size=len(SKUS)),
        ),
        max_size=12,
    ),
    st.dictionaries(st.sampled_from(SKUS), st.integers(1, 3), min_size=1),
    st.randoms(use_true_random=False),
)
def test_screening_order_and_whole_cart_holders_are_those_of_the_plain_definitions(
    located, cart, rnd
):
    # Equal distances are common here: they must break on the location id, whatever the
    # order the candidates come in, and the holders are those holding every line in full.
    cands = [loc(100 - index, km, stock) for index, (km, stock) in enumerate(located)]
    rnd.shuffle(cands)
    ordered = in_screening_order(cands, "USD")
    assert list(ordered) == sorted(cands, key=nearest_first)
    holders = [
        index
        for index, c in enumerate(ordered)
        if all(c.candidate.stock.get(sku, 0) >= qty for sku, qty in cart.items())
    ]
    assert list(ordered.whole_cart_holders(cart)) == holders


# Two days around the builders' NOW, to the microsecond: cut-offs, closes and midnights.
MINUTES = st.integers(min_value=-24 * 60, max_value=24 * 60).map(
    lambda m: NOW.replace(second=0, microsecond=0) + timedelta(minutes=m)
)


@settings(max_examples=200, deadline=None)
@given(scenarios(), MINUTES, st.integers(1, 59_999_999), st.integers(1, 59_999_999))
def test_every_moment_inside_one_minute_gets_the_same_decision(scenario, minute, one, other):
    # What lets a promise reuse a decision within the minute (``services.decision_memo``).
    method, cart, cands, rules = scenario
    first, second = (minute + timedelta(microseconds=us) for us in (one, other))
    assert fingerprint(
        decide(request(cands, cart, method=method, now=first), rules, rates=RATES)
    ) == (fingerprint(decide(request(cands, cart, method=method, now=second), rules, rates=RATES)))
