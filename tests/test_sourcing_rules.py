"""Rules are validated with errors that name the field, and resolve per channel and method."""

from __future__ import annotations

from datetime import datetime

import pytest

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.money import Money
from omnigraph.domain.sourcing import (
    ChannelPolicy,
    IncomingSupply,
    MarginRule,
    MethodPolicy,
    PickLabour,
    SourcingRequest,
    SourcingRules,
    decide,
)
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType
from tests.test_sourcing_builders import NOW, RATES, WEIGHTS, loc, request, usd


def fields(error: DomainError) -> set[tuple[str, ...]]:
    return {problem.field for problem in error.problems}


def test_every_invalid_method_policy_value_is_reported_with_its_field():
    bad = MethodPolicy(
        max_distance_km=-1,
        min_stock={LocationType.STORE: -2},
        promise_business_days=-1,
        max_packages=4,
        split_penalty=Money(100, "EUR"),
    )
    with pytest.raises(DomainError) as raised:
        SourcingRules(methods={DeliveryMethod.SHIP_STANDARD: bad})
    prefix = ("methods", "SHIP_STANDARD")
    assert fields(raised.value) == {
        (*prefix, name)
        for name in (
            "max_distance_km",
            "min_stock",
            "promise_business_days",
            "max_packages",
            "split_penalty",
        )
    }
    assert all(p.code is ErrorCode.INVALID for p in raised.value.problems)


@pytest.mark.parametrize(
    ("method", "policy", "field"),
    [
        (DeliveryMethod.PICKUP, MethodPolicy(max_packages=2), "max_packages"),
        (DeliveryMethod.SAME_DAY, MethodPolicy(promise_business_days=1), "promise_business_days"),
        (DeliveryMethod.SAME_DAY, MethodPolicy(allow_backorder=True), "allow_backorder"),
        (DeliveryMethod.SHIP_STANDARD, MethodPolicy(split_penalty=usd("-1")), "split_penalty"),
    ],
)
def test_method_specific_contradictions_are_refused(method, policy, field):
    with pytest.raises(DomainError) as raised:
        SourcingRules(methods={method: policy})
    assert fields(raised.value) == {("methods", method.value, field)}


def test_channel_method_policies_are_validated_under_the_channel_path():
    with pytest.raises(DomainError) as raised:
        SourcingRules(
            channels={
                "POS": ChannelPolicy(methods={DeliveryMethod.PICKUP: MethodPolicy(max_packages=2)})
            }
        )
    assert ("channels", "POS", "methods", "PICKUP", "max_packages") in fields(raised.value)


def test_margin_rule_needs_a_positive_threshold_in_the_rules_currency_and_two_types():
    with pytest.raises(DomainError) as raised:
        SourcingRules(margin=MarginRule(Money(250, "EUR"), LocationType.DC, LocationType.DC))
    assert fields(raised.value) == {("margin", "threshold"), ("margin", "over")}
    with pytest.raises(DomainError):
        SourcingRules(margin=MarginRule(usd("-0.01")))


def test_policy_resolution_prefers_the_channel_then_the_method_then_the_default():
    web_ship = MethodPolicy(max_packages=1)
    ship = MethodPolicy(max_packages=2)
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: ship},
        channels={"WEB": ChannelPolicy(methods={DeliveryMethod.SHIP_STANDARD: web_ship})},
    )
    assert rules.policy_for("WEB", DeliveryMethod.SHIP_STANDARD) is web_ship
    assert rules.policy_for("APP", DeliveryMethod.SHIP_STANDARD) is ship
    assert rules.policy_for("APP", DeliveryMethod.PICKUP) == MethodPolicy.default_for(
        DeliveryMethod.PICKUP
    )


def test_defaults_keep_collection_and_same_day_to_one_location_and_same_day_today():
    for method in DeliveryMethod:
        policy = MethodPolicy.default_for(method)
        single = method.is_collection or method is DeliveryMethod.SAME_DAY
        assert (policy.max_packages == 1) is single
    assert MethodPolicy.default_for(DeliveryMethod.SAME_DAY).promise_business_days == 0
    assert MethodPolicy.default_for(DeliveryMethod.PICKUP).max_distance_km == 50.0


def test_a_request_names_each_bad_line_weight_and_candidate_field():
    with pytest.raises(DomainError) as raised:
        SourcingRequest(
            channel="WEB",
            method=DeliveryMethod.SHIP_STANDARD,
            lines={"A": 0, "Z": 1},
            candidates=[
                loc(1, 1, {}, orders_today=-1, capacity=-1),
                loc(
                    1,
                    2,
                    {},
                    labour=PickLabour(usd("-1"), usd("0")),
                    incoming=[IncomingSupply("A", 0, NOW.date())],
                ),
            ],
            now=datetime(2024, 5, 8, 9, 0),
            weights_grams=WEIGHTS,
        )
    assert fields(raised.value) == {
        ("lines", "A"),
        ("weights_grams", "Z"),
        ("now",),
        ("candidates", "0", "orders_today"),
        ("candidates", "0", "daily_capacity"),
        ("candidates", "1", "location_id"),
        ("candidates", "1", "labour"),
        ("candidates", "1", "incoming"),
    }
    codes = {p.field: p.code for p in raised.value.problems}
    assert codes[("lines", "A")] is ErrorCode.INVALID_QUANTITY
    assert codes[("weights_grams", "Z")] is ErrorCode.REQUIRED


def test_collection_needs_no_weights_but_an_empty_cart_is_refused():
    SourcingRequest("WEB", DeliveryMethod.PICKUP, {"A": 1}, [], NOW)
    with pytest.raises(DomainError) as raised:
        SourcingRequest("WEB", DeliveryMethod.PICKUP, {}, [], NOW)
    assert fields(raised.value) == {("lines",)}


def test_request_rules_and_rates_must_share_a_currency():
    with pytest.raises(DomainError) as raised:
        decide(request([loc(1, 1, {"A": 1})]), SourcingRules(currency="EUR"), rates=RATES)
    assert raised.value.code is ErrorCode.INVALID_CURRENCY
