"""Sourcing rules through the admin API: validated, persisted, and applied to promises."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from omnigraph.db.models import Location
from omnigraph.testing import Harness
from tests.factories import HOME, Network
from tests.test_api_orders import CANCEL
from tests.test_sourcing_wiring import TUESDAY_AFTERNOON, at_tuesday, codes, place

SET_RULE = """
mutation($input: SourcingRuleInput!) {
  setSourcingRule(input: $input) {
    rule { channel method maxDistanceKm minStock { locationType quantity } promiseBusinessDays
           maxPackages splitPenalty { amount currencyCode } allowBackorder }
    userErrors { field code message }
  }
}
"""
DELETE_RULE = """
mutation($input: DeleteSourcingRuleInput!) {
  deleteSourcingRule(input: $input) { deleted userErrors { field code message } }
}
"""
SET_EXCLUSIONS = """
mutation($input: SourcingExclusionsInput!) {
  setSourcingExclusions(input: $input) {
    exclusion { channel locationTypes locations { code } }
    userErrors { field code message }
  }
}
"""
SET_MARGIN = """
mutation($input: SourcingMarginRuleInput!) {
  setSourcingMarginRule(input: $input) {
    rule { threshold { amount } prefer over }
    userErrors { field code message }
  }
}
"""
RULES = """
{ sourcingRules {
    methods { channel method maxPackages minStock { locationType quantity } }
    exclusions { channel locationTypes locations { code } }
    margin { threshold { amount } prefer over }
} }
"""
PROMISE = """
query($input: DeliveryPromiseInput!) {
  deliveryPromise(input: $input) {
    options { method packages { location { code } }
              explanation { basis candidates { code reason detail rule } } }
    unavailable { method reason detail explanation { candidates { code reason detail } } }
  }
}
"""


async def set_rule(harness: Harness, **fields: Any) -> dict[str, Any]:
    return (await harness.graphql(SET_RULE, {"input": fields}))["setSourcingRule"]


async def promise(
    harness: Harness, method: str, lines: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    data = await harness.graphql(
        PROMISE,
        {
            "input": {
                "lines": lines or [{"sku": "TEE-001", "quantity": 1}],
                "destination": HOME,
                "methods": [method],
                **extra,
            }
        },
    )
    return data["deliveryPromise"]


def verdicts(option: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in option["explanation"]["candidates"]}


async def test_invalid_rules_name_the_field_and_change_nothing(
    harness: Harness, network: Network
) -> None:
    cases = [
        ({"method": "SHIP_STANDARD", "maxPackages": 5}, ["input", "maxPackages"], "INVALID"),
        ({"method": "PICKUP", "maxPackages": 2}, ["input", "maxPackages"], "INVALID"),
        (
            {"method": "SAME_DAY", "promiseBusinessDays": 1},
            ["input", "promiseBusinessDays"],
            "INVALID",
        ),
        ({"method": "SHIP_STANDARD", "maxDistanceKm": -1}, ["input", "maxDistanceKm"], "INVALID"),
        ({"method": "SHIP_STANDARD", "splitPenalty": "-1"}, ["input", "splitPenalty"], "INVALID"),
        (
            {"method": "SHIP_STANDARD", "minStock": [{"locationType": "STORE", "quantity": -2}]},
            ["input", "minStock"],
            "INVALID",
        ),
        ({"method": "SAME_DAY", "allowBackorder": True}, ["input", "allowBackorder"], "INVALID"),
        ({"method": "SHIP_STANDARD", "channel": "NOPE"}, ["input", "channel"], "UNKNOWN_CHANNEL"),
    ]
    for fields, path, code in cases:
        payload = await set_rule(harness, **fields)
        assert payload["rule"] is None, fields
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(path, code)], fields
    assert (await harness.graphql(RULES))["sourcingRules"]["methods"] == []
    refused = await harness.graphql(
        SET_EXCLUSIONS, {"input": {"channel": "WEB", "locationIds": ["999"]}}
    )
    assert refused["setSourcingExclusions"]["userErrors"][0]["field"] == ["input", "locationIds"]
    assert refused["setSourcingExclusions"]["userErrors"][0]["code"] == "UNKNOWN_LOCATION"
    margin = await harness.graphql(
        SET_MARGIN, {"input": {"threshold": "1.00", "prefer": "STORE", "over": "STORE"}}
    )
    assert margin["setSourcingMarginRule"]["userErrors"][0]["field"] == ["input", "over"]
    deleted = await harness.graphql(DELETE_RULE, {"input": {"method": "PICKUP"}})
    assert deleted["deleteSourcingRule"]["userErrors"][0]["code"] == "NOT_FOUND"
    rules = (await harness.graphql(RULES))["sourcingRules"]
    assert rules == {"methods": [], "exclusions": [], "margin": None}


async def test_a_rule_is_stored_replaced_and_deleted(harness: Harness, network: Network) -> None:
    first = await set_rule(
        harness,
        method="SHIP_STANDARD",
        channel="WEB",
        maxPackages=2,
        splitPenalty="3.5",
        minStock=[{"locationType": "STORE", "quantity": 3}],
    )
    assert first["userErrors"] == []
    assert first["rule"]["splitPenalty"] == {"amount": "3.50", "currencyCode": "USD"}
    await set_rule(harness, method="SHIP_STANDARD", channel="WEB", maxPackages=1)
    rules = (await harness.graphql(RULES))["sourcingRules"]
    assert rules["methods"] == [
        {"channel": "WEB", "method": "SHIP_STANDARD", "maxPackages": 1, "minStock": []}
    ]
    deleted = await harness.graphql(
        DELETE_RULE, {"input": {"method": "SHIP_STANDARD", "channel": "WEB"}}
    )
    assert deleted["deleteSourcingRule"] == {"deleted": True, "userErrors": []}
    assert (await harness.graphql(RULES))["sourcingRules"]["methods"] == []
    await harness.graphql(SET_MARGIN, {"input": {"threshold": "1.00"}})
    await harness.graphql(SET_MARGIN, {"input": {"threshold": "2.00", "prefer": "DARK_STORE"}})
    margin = (await harness.graphql(RULES))["sourcingRules"]["margin"]
    assert margin == {"threshold": {"amount": "2.00"}, "prefer": "DARK_STORE", "over": "STORE"}
    drop = "mutation { deleteSourcingMarginRule { deleted userErrors { code } } }"
    assert (await harness.graphql(drop))["deleteSourcingMarginRule"]["deleted"] is True
    assert (await harness.graphql(RULES))["sourcingRules"]["margin"] is None
    again = (await harness.graphql(drop))["deleteSourcingMarginRule"]
    assert again == {"deleted": False, "userErrors": [{"code": "NOT_FOUND"}]}


async def test_min_stock_threshold_keeps_thin_store_stock_for_walk_ins(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    [before] = (await promise(harness, "SHIP_STANDARD"))["options"]
    assert codes(before["packages"]) == ["ST-LOOP"]  # 3 tees, nearest, same cost as the DC
    await set_rule(
        harness, method="SHIP_STANDARD", minStock=[{"locationType": "STORE", "quantity": 4}]
    )
    [after] = (await promise(harness, "SHIP_STANDARD"))["options"]
    assert codes(after["packages"]) == ["ST-EVANSTON"]  # 8 tees: above the threshold
    assert verdicts(after)["ST-LOOP"]["reason"] == "BELOW_MIN_STOCK"
    await set_rule(
        harness, method="SHIP_STANDARD", minStock=[{"locationType": "STORE", "quantity": 9}]
    )
    [stores_kept] = (await promise(harness, "SHIP_STANDARD"))["options"]
    assert codes(stores_kept["packages"]) == ["DC-JOLIET"]
    assert verdicts(stores_kept)["ST-EVANSTON"]["reason"] == "BELOW_MIN_STOCK"


async def test_max_distance_takes_far_locations_out_of_range(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    [near] = (await promise(harness, "PICKUP"))["options"]
    assert codes(near["packages"]) == ["ST-LOOP"]
    await set_rule(harness, method="PICKUP", maxDistanceKm=0.1)
    answer = await promise(harness, "PICKUP")
    assert answer["options"] == []
    [refusal] = answer["unavailable"]
    assert refusal["reason"] == "OUT_OF_RANGE" and "0.1 km" in refusal["detail"]
    # The refusal carries the trace: every store holding tees was too far.
    rejected = {c["code"]: c["reason"] for c in refusal["explanation"]["candidates"]}
    assert rejected["ST-LOOP"] == "OUT_OF_RANGE" and rejected["ST-EVANSTON"] == "OUT_OF_RANGE"
    assert rejected["DC-JOLIET"] == "NO_CAPABILITY"  # the DC offers no pickup


async def test_channel_exclusions_apply_to_that_channel_only(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    excluded = await harness.graphql(
        SET_EXCLUSIONS, {"input": {"channel": "WEB", "locationTypes": ["STORE"]}}
    )
    assert excluded["setSourcingExclusions"]["exclusion"]["locationTypes"] == ["STORE"]
    [web] = (await promise(harness, "SHIP_STANDARD", channel="WEB"))["options"]
    assert codes(web["packages"]) == ["DC-JOLIET"]
    assert verdicts(web)["ST-LOOP"]["reason"] == "EXCLUDED_FOR_CHANNEL"
    [anyone] = (await promise(harness, "SHIP_STANDARD"))["options"]
    assert codes(anyone["packages"]) == ["ST-LOOP"]
    # The order on that channel is sourced by the same rule.
    order = await place(harness, [{"sku": "TEE-001", "quantity": 1}], "SHIP_STANDARD")
    assert codes(order["fulfillmentOrders"]) == ["DC-JOLIET"]
    cleared = await harness.graphql(SET_EXCLUSIONS, {"input": {"channel": "WEB"}})
    assert cleared["setSourcingExclusions"] == {"exclusion": None, "userErrors": []}
    assert (await harness.graphql(RULES))["sourcingRules"]["exclusions"] == []


async def test_max_packages_one_refuses_a_cart_that_needs_a_split(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    cart = [{"sku": "TEE-001", "quantity": 105}]  # DC 100 + stores 11
    [split] = (await promise(harness, "SHIP_STANDARD", cart))["options"]
    assert len(split["packages"]) == 2
    await set_rule(harness, method="SHIP_STANDARD", maxPackages=1)
    [refusal] = (await promise(harness, "SHIP_STANDARD", cart))["unavailable"]
    assert refusal["reason"] == "INSUFFICIENT_STOCK"
    assert "no single location" in refusal["detail"]


async def test_an_sla_no_location_can_meet_withdraws_the_option(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    assert (await promise(harness, "SHIP_STANDARD"))["options"]
    await set_rule(harness, method="SHIP_STANDARD", promiseBusinessDays=0)
    answer = await promise(harness, "SHIP_STANDARD")
    assert answer["options"] == []
    assert answer["unavailable"][0]["reason"] == "PAST_CUTOFF"
    assert "promised by" in answer["unavailable"][0]["detail"]


async def test_margin_rule_sends_the_order_to_the_dc_when_store_shipping_costs_more(
    harness: Harness, network: Network
) -> None:
    # The Loop store moves to New York (a far carrier zone) but picks for free; picking at
    # the DC costs 5.00. The store is cheaper overall, yet ships for 3.40 more than the DC.
    async with harness.services.unit_of_work() as uow:
        loop = await uow.session.get(Location, network.loop)
        dc = await uow.session.get(Location, network.dc)
        assert loop is not None and dc is not None
        loop.latitude, loop.longitude, loop.pick_cost_minor = 40.7128, -74.006, 0
        dc.pick_cost_minor = 500
        await uow.commit()
    at_tuesday(harness)
    lines = [{"sku": "MUG-002", "quantity": 1}]
    [cheapest] = (await promise(harness, "SHIP_STANDARD", lines))["options"]
    assert codes(cheapest["packages"]) == ["ST-LOOP"]
    margin = await harness.graphql(SET_MARGIN, {"input": {"threshold": "2.50"}})
    assert margin["setSourcingMarginRule"]["rule"] == {
        "threshold": {"amount": "2.50"},
        "prefer": "DC",
        "over": "STORE",
    }
    [ruled] = (await promise(harness, "SHIP_STANDARD", lines))["options"]
    assert codes(ruled["packages"]) == ["DC-JOLIET"]
    assert ruled["explanation"]["basis"] == "MARGIN_RULE"
    await harness.graphql(SET_MARGIN, {"input": {"threshold": "4.00"}})
    [loose] = (await promise(harness, "SHIP_STANDARD", lines))["options"]
    assert codes(loose["packages"]) == ["ST-LOOP"]


async def test_a_location_at_its_daily_capacity_is_skipped_until_an_order_is_cancelled(
    harness: Harness, network: Network
) -> None:
    async with harness.services.unit_of_work() as uow:
        loop = await uow.session.get(Location, network.loop)
        assert loop is not None
        loop.daily_capacity = 1
        await uow.commit()
    at_tuesday(harness)
    first = await place(harness, [{"sku": "TEE-001", "quantity": 1}], "SHIP_STANDARD")
    assert codes(first["fulfillmentOrders"]) == ["ST-LOOP"]
    [option] = (await promise(harness, "SHIP_STANDARD"))["options"]
    assert codes(option["packages"]) != ["ST-LOOP"]
    assert verdicts(option)["ST-LOOP"]["reason"] == "AT_CAPACITY"
    assert "1/1" in verdicts(option)["ST-LOOP"]["detail"]
    cancelled = await harness.graphql(CANCEL, {"input": {"orderId": first["id"]}})
    assert cancelled["cancelOrder"]["userErrors"] == []
    [again] = (await promise(harness, "SHIP_STANDARD"))["options"]
    assert codes(again["packages"]) == ["ST-LOOP"]
    # The next local day starts a new count.
    harness.services.clock = lambda: TUESDAY_AFTERNOON + timedelta(days=1)
    await place(harness, [{"sku": "TEE-001", "quantity": 1}], "SHIP_STANDARD")
    harness.services.clock = lambda: TUESDAY_AFTERNOON + timedelta(days=2)
    [next_day] = (await promise(harness, "SHIP_STANDARD"))["options"]
    assert codes(next_day["packages"]) == ["ST-LOOP"]
