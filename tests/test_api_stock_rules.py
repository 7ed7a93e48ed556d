"""Safety stock rules, channel exposure and protected stock through the API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from omnigraph.db.models import InventoryMovement
from omnigraph.services.stock_rules import refresh_seasons
from omnigraph.testing import Harness
from tests.factories import HOME, Network
from tests.test_api_inventory import location_id
from tests.test_api_orders import CREATE, order_input

SET_SAFETY = """
mutation($i: SafetyStockRuleInput!) {
  setSafetyStockRule(input: $i) { ruleId levelsChanged userErrors { field code message } }
}
"""
LEVEL = """
query($l: ID!, $sku: String!) {
  inventoryLevel(locationId: $l, sku: $sku) {
    onHand safetyStock available safetyStockRule { id scope quantity }
  }
}
"""


async def level(harness: Harness, location: int, sku: str) -> dict:
    data = await harness.graphql(LEVEL, {"l": location_id(location), "sku": sku})
    return data["inventoryLevel"]


async def test_safety_stock_follows_the_most_specific_rule(
    harness: Harness, network: Network
) -> None:
    stores = (await harness.graphql(SET_SAFETY, {"i": {"locationType": "STORE", "quantity": 1}}))[
        "setSafetyStockRule"
    ]
    assert stores["userErrors"] == [] and stores["levelsChanged"] == 4
    loop_tees = await level(harness, network.loop, "TEE-001")
    assert loop_tees == {
        "onHand": 3,
        "safetyStock": 1,
        "available": 2,
        "safetyStockRule": {"id": stores["ruleId"], "scope": "LOCATION_TYPE", "quantity": 1},
    }
    assert (await level(harness, network.dc, "TEE-001"))["safetyStock"] == 0

    exact = (
        await harness.graphql(
            SET_SAFETY,
            {"i": {"locationId": location_id(network.loop), "sku": "TEE-001", "quantity": 0}},
        )
    )["setSafetyStockRule"]
    assert exact["levelsChanged"] == 1
    assert (await level(harness, network.loop, "TEE-001"))["safetyStockRule"][
        "scope"
    ] == "SKU_AT_LOCATION"
    assert (await level(harness, network.loop, "TEE-001"))["available"] == 3

    removed = await harness.graphql(
        """mutation($i: DeleteRuleInput!) {
          deleteSafetyStockRule(input: $i) { levelsChanged userErrors { code } }
        }""",
        {"i": {"id": exact["ruleId"]}},
    )
    assert removed["deleteSafetyStockRule"] == {"levelsChanged": 1, "userErrors": []}
    assert (await level(harness, network.loop, "TEE-001"))["safetyStock"] == 1


async def test_safety_stock_changes_are_in_the_ledger_and_protect_the_shelf(
    harness: Harness, network: Network
) -> None:
    await harness.graphql(
        SET_SAFETY,
        {"i": {"locationId": location_id(network.loop), "sku": "TEE-001", "quantity": 3}},
    )
    async with harness.services.db.read_session() as session:
        movement = await session.scalar(
            select(InventoryMovement).where(InventoryMovement.reason == "SAFETY_STOCK")
        )
    assert movement is not None and (movement.bucket, movement.delta, movement.source) == (
        "SAFETY_STOCK",
        3,
        "rules",
    )
    # The Loop store's three tees are all safety stock now: the order ships from Evanston.
    order = (
        await harness.graphql(
            CREATE, {"input": order_input(lines=[{"sku": "TEE-001", "quantity": 1}])}
        )
    )["createOrder"]["order"]
    assert [fo["location"]["code"] for fo in order["fulfillmentOrders"]] == ["ST-EVANSTON"]


async def test_seasonal_rules_turn_on_and_off_with_the_calendar(
    harness: Harness, network: Network
) -> None:
    services = harness.services
    services.clock = lambda: datetime(2026, 11, 1, 12, tzinfo=UTC)
    rule = {
        "locationType": "STORE",
        "quantity": 2,
        "startsOn": "2026-11-20",
        "endsOn": "2026-12-31",
    }
    assert (await harness.graphql(SET_SAFETY, {"i": rule}))["setSafetyStockRule"][
        "levelsChanged"
    ] == 0
    services.clock = lambda: datetime(2026, 11, 21, 12, tzinfo=UTC)
    assert await refresh_seasons(services) == 4
    assert (await level(harness, network.loop, "TEE-001"))["safetyStock"] == 2
    services.clock = lambda: datetime(2027, 1, 2, 12, tzinfo=UTC)
    assert await refresh_seasons(services) == 4
    assert (await level(harness, network.loop, "TEE-001"))["safetyStock"] == 0


async def test_bad_rules_are_user_errors(harness: Harness, network: Network) -> None:
    cases = [
        ({"sku": "TEE-001", "quantity": 1}, ["input", "locationId"], "REQUIRED"),
        (
            {"locationId": location_id(network.loop), "sku": "NOPE", "quantity": 1},
            ["input", "sku"],
            "UNKNOWN_SKU",
        ),
        ({"locationType": "STORE", "quantity": -1}, ["input", "quantity"], "INVALID_QUANTITY"),
        ({"id": 999, "locationType": "STORE", "quantity": 1}, ["input", "id"], "NOT_FOUND"),
    ]
    for rule, field, code in cases:
        errors = (await harness.graphql(SET_SAFETY, {"i": rule}))["setSafetyStockRule"][
            "userErrors"
        ]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], rule
    assert (await harness.graphql("{ inventoryRules { safetyStock { id } } }"))["inventoryRules"][
        "safetyStock"
    ] == []


EXPOSURE = """
mutation($i: ChannelExposureRuleInput!) {
  setChannelExposureRule(input: $i) { ruleId userErrors { field code } }
}
"""
PROTECT = """
mutation($i: ProtectedStockRuleInput!) {
  setProtectedStockRule(input: $i) { ruleId userErrors { field code } }
}
"""


async def test_a_channel_cannot_sell_beyond_its_exposure(
    harness: Harness, network: Network
) -> None:
    rule = (
        await harness.graphql(EXPOSURE, {"i": {"channel": "WEB", "sku": "LAMP-003", "cap": 2}})
    )["setChannelExposureRule"]
    assert rule["userErrors"] == []
    refused = (
        await harness.graphql(
            CREATE, {"input": order_input(lines=[{"sku": "LAMP-003", "quantity": 3}])}
        )
    )["createOrder"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "lines", "0", "quantity"], "INSUFFICIENT_STOCK")
    ]
    assert "WEB can sell 2 of LAMP-003" in refused["userErrors"][0]["message"]
    accepted = (
        await harness.graphql(
            CREATE, {"input": order_input(lines=[{"sku": "LAMP-003", "quantity": 2}])}
        )
    )["createOrder"]
    assert accepted["userErrors"] == []
    bad = (await harness.graphql(EXPOSURE, {"i": {"channel": "FAX", "percent": 101}}))[
        "setChannelExposureRule"
    ]["userErrors"]
    assert {(tuple(e["field"]), e["code"]) for e in bad} == {
        (("input", "channel"), "UNKNOWN_CHANNEL")
    }


async def test_protected_stock_is_for_priority_customers_only(
    harness: Harness, network: Network
) -> None:
    # 111 tees in the network; 108 kept for priority customers leaves 3 for everyone else.
    rule = (
        await harness.graphql(
            PROTECT, {"i": {"sku": "TEE-001", "quantity": 108, "tiers": ["PRIORITY"]}}
        )
    )["setProtectedStockRule"]
    assert rule["userErrors"] == []
    standard = (
        await harness.graphql(
            CREATE, {"input": order_input(lines=[{"sku": "TEE-001", "quantity": 4}])}
        )
    )["createOrder"]
    assert [e["code"] for e in standard["userErrors"]] == ["INSUFFICIENT_STOCK"]
    tier = await harness.graphql(
        """mutation {
          setCustomerTier(input: {email: "vip@example.com", tier: PRIORITY}) {
            tier userErrors { code }
          }
        }"""
    )
    assert tier["setCustomerTier"] == {"tier": "PRIORITY", "userErrors": []}
    priority = (
        await harness.graphql(
            CREATE,
            {
                "input": order_input(
                    customer={"email": "vip@example.com"},
                    lines=[{"sku": "TEE-001", "quantity": 20}],
                )
            },
        )
    )["createOrder"]
    assert priority["userErrors"] == []
    listing = (
        await harness.graphql(
            "{ inventoryRules { protectedStock { sku quantity tiers } channelExposure { id } } }"
        )
    )["inventoryRules"]
    assert listing["protectedStock"] == [{"sku": "TEE-001", "quantity": 108, "tiers": ["PRIORITY"]}]


async def test_availability_answers_for_a_channel_and_a_customer(
    harness: Harness, network: Network
) -> None:
    await harness.graphql(EXPOSURE, {"i": {"channel": "WEB", "sku": "TEE-001", "percent": 50}})
    await harness.graphql(PROTECT, {"i": {"sku": "TEE-001", "quantity": 11, "tiers": ["B2B"]}})
    query = """
    query($channel: String, $email: String) {
      availability(skus: ["TEE-001"], channel: $channel, customerEmail: $email) {
        networkAvailable sellable message
      }
    }
    """
    web = (await harness.graphql(query, {"channel": "WEB"}))["availability"][0]
    # 111 in the network, 11 kept for B2B, and WEB sees half of the other 100.
    assert (web["networkAvailable"], web["sellable"]) == (111, 50)
    anywhere = (await harness.graphql(query, {}))["availability"][0]
    assert anywhere["sellable"] == 100
    await harness.graphql(
        'mutation { setCustomerTier(input: {email: "buyer@corp.example", tier: B2B}) { tier } }'
    )
    b2b = await harness.graphql(query, {"channel": "WEB", "email": "buyer@corp.example"})
    assert b2b["availability"][0]["sellable"] == 55


async def test_a_held_cart_converts_even_when_exposure_leaves_nothing_for_others(
    harness: Harness, network: Network
) -> None:
    # WEB may sell at most 10 lamps (of 12); a checkout holds all 10 the DC can ship.
    await harness.graphql(EXPOSURE, {"i": {"channel": "WEB", "sku": "LAMP-003", "cap": 10}})
    reserve = """
    mutation($i: ReserveInventoryInput!) {
      reserveInventory(input: $i) { reservation { id } userErrors { code } }
    }
    """
    held = await harness.graphql(
        reserve,
        {
            "i": {
                "cartId": "c-9",
                "lines": [{"sku": "LAMP-003", "quantity": 10}],
                "destination": HOME,
            }
        },
    )
    reservation = held["reserveInventory"]["reservation"]["id"]
    lamps = [{"sku": "LAMP-003", "quantity": 10}]
    order = (
        await harness.graphql(
            CREATE, {"input": order_input(lines=lamps, reservationId=reservation)}
        )
    )["createOrder"]
    assert order["userErrors"] == []


async def test_concurrent_orders_never_take_protected_stock(
    harness: Harness, network: Network
) -> None:
    # 111 tees; 101 kept for priority customers leaves 10 for everyone else.
    await harness.graphql(
        PROTECT, {"i": {"sku": "TEE-001", "quantity": 101, "tiers": ["PRIORITY"]}}
    )
    orders = [
        harness.graphql(
            CREATE,
            {
                "input": order_input(
                    customer={"email": f"shopper{i}@example.com"},
                    lines=[{"sku": "TEE-001", "quantity": 5}],
                )
            },
        )
        for i in range(20)
    ]
    results = [r["createOrder"] for r in await asyncio.gather(*orders)]
    placed = [r for r in results if not r["userErrors"]]
    assert len(placed) == 2
    assert all(
        r["userErrors"][0]["code"] == "INSUFFICIENT_STOCK" for r in results if r["userErrors"]
    )


RESERVE = """
mutation($i: ReserveInventoryInput!) {
  reserveInventory(input: $i) { reservation { id } userErrors { field code message } }
}
"""


async def test_a_hold_respects_protected_stock_and_the_channels_exposure(
    harness: Harness, network: Network
) -> None:
    await harness.graphql(
        PROTECT, {"i": {"sku": "TEE-001", "quantity": 108, "tiers": ["PRIORITY"]}}
    )
    await harness.graphql(EXPOSURE, {"i": {"channel": "WEB", "sku": "LAMP-003", "cap": 1}})
    cart = {"cartId": "c-1", "destination": HOME}
    tees = await harness.graphql(
        RESERVE, {"i": {**cart, "lines": [{"sku": "TEE-001", "quantity": 50}]}}
    )
    assert [e["code"] for e in tees["reserveInventory"]["userErrors"]] == ["INSUFFICIENT_STOCK"]
    lamps = {**cart, "lines": [{"sku": "LAMP-003", "quantity": 2}], "channel": "WEB"}
    refused = await harness.graphql(RESERVE, {"i": lamps})
    errors = refused["reserveInventory"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "lines", "0", "quantity"], "INSUFFICIENT_STOCK")
    ]
    assert "WEB can sell 1 of LAMP-003" in errors[0]["message"]
    unknown = await harness.graphql(RESERVE, {"i": {**lamps, "channel": "FAX"}})
    assert [e["code"] for e in unknown["reserveInventory"]["userErrors"]] == ["UNKNOWN_CHANNEL"]
