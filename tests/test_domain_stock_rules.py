from __future__ import annotations

import tomllib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.rules_file import parse_rules
from omnigraph.domain.stock_rules import (
    CustomerTier,
    ExposureRule,
    LevelTarget,
    ProtectedStockRule,
    SafetyStockRule,
    SafetyStockScope,
    Season,
    check_exposure_rule,
    check_safety_stock_rule,
    effective_safety_stock,
    exposure_rule_for,
    protected_quantity,
    sellable_to,
)

STORE_SHOES = LevelTarget(location_id=7, location_type="STORE", product_id=42, category="Footwear")
TODAY = date(2026, 11, 22)


def test_precedence_sku_at_location_then_category_at_location_then_type_then_global() -> None:
    everywhere = SafetyStockRule(1, quantity=9)
    stores = SafetyStockRule(2, quantity=5, location_type="STORE")
    shoes_here = SafetyStockRule(3, quantity=3, location_id=7, category="Footwear")
    this_shoe_here = SafetyStockRule(4, quantity=1, location_id=7, product_id=42)
    ladder = [everywhere, stores, shoes_here, this_shoe_here]
    assert effective_safety_stock(ladder, STORE_SHOES, TODAY) == (1, this_shoe_here)
    assert effective_safety_stock(ladder[:3], STORE_SHOES, TODAY) == (3, shoes_here)
    assert effective_safety_stock(ladder[:2], STORE_SHOES, TODAY) == (5, stores)
    assert effective_safety_stock(ladder[:1], STORE_SHOES, TODAY) == (9, everywhere)
    assert effective_safety_stock([], STORE_SHOES, TODAY) == (0, None)
    assert [r.scope for r in reversed(ladder)] == list(SafetyStockScope)


def test_rules_for_other_places_or_products_do_not_apply() -> None:
    other_store = SafetyStockRule(1, quantity=4, location_id=8, product_id=42)
    other_type = SafetyStockRule(2, quantity=4, location_type="DC")
    other_category = SafetyStockRule(3, quantity=4, category="Beauty")
    assert effective_safety_stock(
        [other_store, other_type, other_category], STORE_SHOES, TODAY
    ) == (0, None)


def test_seasons_apply_only_inside_their_dates_and_beat_all_year_rules_of_the_same_scope() -> None:
    all_year = SafetyStockRule(1, quantity=2, location_type="STORE")
    holidays = SafetyStockRule(
        2, quantity=6, location_type="STORE", season=Season(date(2026, 11, 20), date(2026, 12, 31))
    )
    assert effective_safety_stock([all_year, holidays], STORE_SHOES, TODAY) == (6, holidays)
    assert effective_safety_stock([all_year, holidays], STORE_SHOES, date(2027, 1, 1)) == (
        2,
        all_year,
    )
    assert Season(None, date(2026, 1, 1)).covers(date(2025, 6, 1))
    assert not Season(date(2026, 1, 2), None).covers(date(2026, 1, 1))


def test_within_a_scope_the_higher_quantity_wins() -> None:
    low, high = (
        SafetyStockRule(1, 2, location_type="STORE"),
        SafetyStockRule(2, 4, location_type="STORE"),
    )
    assert effective_safety_stock([low, high], STORE_SHOES, TODAY) == (4, high)


def test_exposure_share_and_cap() -> None:
    half = ExposureRule(1, "MARKETPLACE", percent=50)
    capped = ExposureRule(2, "MARKETPLACE", cap=3, category="Footwear")
    assert sellable_to(11, half, 0) == 5
    assert sellable_to(11, ExposureRule(3, "MARKETPLACE", percent=50, cap=4), 0) == 4
    assert exposure_rule_for([half, capped], "MARKETPLACE", 42, "Footwear") is capped
    assert exposure_rule_for([half, capped], "MARKETPLACE", 43, "Beauty") is half
    assert exposure_rule_for([half, capped], "WEB", 42, "Footwear") is None


def test_protected_stock_is_held_back_from_other_tiers_only() -> None:
    keep = ProtectedStockRule(
        1, 5, frozenset({CustomerTier.PRIORITY, CustomerTier.B2B}), product_id=42
    )
    assert protected_quantity([keep], 42, "Footwear", CustomerTier.STANDARD) == 5
    assert protected_quantity([keep], 42, "Footwear", CustomerTier.B2B) == 0
    assert protected_quantity([keep], 43, "Footwear", CustomerTier.STANDARD) == 0
    assert sellable_to(7, None, 5) == 2
    assert sellable_to(3, None, 5) == 0


@given(st.integers(0, 10_000), st.integers(0, 100), st.integers(0, 500), st.integers(0, 500))
def test_a_channel_never_sees_more_than_the_network_has(available, percent, cap, protected) -> None:
    sellable = sellable_to(available, ExposureRule(1, "X", percent=percent, cap=cap), protected)
    assert 0 <= sellable <= max(0, available - protected)
    assert sellable <= cap


def test_rule_shapes_are_checked() -> None:
    with pytest.raises(DomainError) as caught:
        check_safety_stock_rule(
            SafetyStockRule(0, -1, product_id=4, season=Season(date(2026, 2, 1), date(2026, 1, 1)))
        )
    found = {(p.field, p.code) for p in caught.value.problems}
    assert found == {
        (("quantity",), ErrorCode.INVALID_QUANTITY),
        (("locationId",), ErrorCode.REQUIRED),
        (("endsOn",), ErrorCode.INVALID),
    }
    with pytest.raises(DomainError) as caught:
        check_exposure_rule(ExposureRule(0, "WEB", percent=120))
    assert [(p.field, p.code) for p in caught.value.problems] == [(("percent",), ErrorCode.INVALID)]


RULES_FILE = """
[[safety_stock]]
location = "ST-0001"
sku = "FTW-00042"
quantity = 3

[[safety_stock]]
location_type = "STORE"
quantity = 1
starts_on = 2026-11-20
ends_on = 2026-12-31

[[channel_exposure]]
channel = "MARKETPLACE"
category = "Electronics"
percent = 50
cap = 20

[[protected_stock]]
sku = "ELC-00002"
quantity = 5
tiers = ["PRIORITY", "B2B"]
"""


def test_a_rules_file_parses_into_specs() -> None:
    document = parse_rules(tomllib.loads(RULES_FILE))
    assert [(s.location, s.sku, s.quantity) for s in document.safety_stock] == [
        ("ST-0001", "FTW-00042", 3),
        (None, None, 1),
    ]
    assert document.safety_stock[1].season == Season(date(2026, 11, 20), date(2026, 12, 31))
    assert document.channel_exposure[0].percent == 50 and document.channel_exposure[0].cap == 20
    assert document.protected_stock[0].tiers == {CustomerTier.PRIORITY, CustomerTier.B2B}


def test_every_problem_in_a_rules_file_is_reported_with_its_path() -> None:
    broken = """
    [[safety_stock]]
    sku = "FTW-1"
    quantity = -2
    colour = "red"

    [[channel_exposure]]
    channel = "WEB"

    [[protected_stock]]
    sku = "A"
    category = "B"
    quantity = 1
    tiers = ["VIP"]

    [[surprise]]
    x = 1
    """
    with pytest.raises(DomainError) as caught:
        parse_rules(tomllib.loads(broken))
    found = {(".".join(p.field), p.code) for p in caught.value.problems}
    assert found == {
        ("surprise", ErrorCode.INVALID),
        ("safety_stock.0.colour", ErrorCode.INVALID),
        ("safety_stock.0.quantity", ErrorCode.INVALID),
        ("safety_stock.0.location", ErrorCode.REQUIRED),
        ("channel_exposure.0.percent", ErrorCode.REQUIRED),
        ("protected_stock.0.sku", ErrorCode.REQUIRED),
        ("protected_stock.0.tiers", ErrorCode.INVALID),
    }
