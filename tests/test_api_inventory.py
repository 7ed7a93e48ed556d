"""adjustInventory, setInventory and inventoryLevel through the API."""

from __future__ import annotations

import asyncio
import base64

from sqlalchemy import func, select

from omnigraph.db.models import InventoryMovement, OutboxEvent
from omnigraph.testing import Harness
from tests.factories import Network

ADJUST = """
mutation Adjust($input: AdjustInventoryInput!) {
  adjustInventory(input: $input) {
    replayed
    inventoryLevel {
      onHand committed damaged safetyStock incoming available location { code } product { sku }
    }
    userErrors { field code message }
  }
}
"""
SET = """
mutation Set($input: SetInventoryInput!) {
  setInventory(input: $input) {
    replayed
    inventoryLevel { onHand available }
    userErrors { field code message }
  }
}
"""


def location_id(database_id: int) -> str:
    return base64.b64encode(f"Location:{database_id}".encode()).decode()


async def ledger_and_outbox(harness: Harness) -> tuple[int, int]:
    async with harness.services.db.read_session() as session:
        movements = await session.scalar(select(func.count()).select_from(InventoryMovement))
        events = await session.scalar(select(func.count()).select_from(OutboxEvent))
    return int(movements or 0), int(events or 0)


async def test_receipt_adds_on_hand_writes_the_ledger_and_an_event(
    harness: Harness, network: Network
) -> None:
    before = await ledger_and_outbox(harness)
    payload = (
        await harness.graphql(
            ADJUST,
            {
                "input": {
                    "locationId": location_id(network.loop),
                    "sku": "MUG-002",
                    "delta": 5,
                    "reason": "RECEIPT",
                }
            },
        )
    )["adjustInventory"]
    assert payload["userErrors"] == []
    assert payload["inventoryLevel"] == {
        "onHand": 6,
        "committed": 0,
        "damaged": 0,
        "safetyStock": 0,
        "incoming": 0,
        "available": 6,
        "location": {"code": "ST-LOOP"},
        "product": {"sku": "MUG-002"},
    }
    assert await ledger_and_outbox(harness) == (before[0] + 1, before[1] + 1)


async def test_damaged_units_are_not_available(harness: Harness, network: Network) -> None:
    loop = location_id(network.loop)
    change = {
        "locationId": loop,
        "sku": "TEE-001",
        "delta": 1,
        "bucket": "DAMAGED",
        "reason": "DAMAGE",
    }
    level = (await harness.graphql(ADJUST, {"input": change}))["adjustInventory"]["inventoryLevel"]
    assert (level["onHand"], level["damaged"], level["available"]) == (3, 1, 2)


async def test_safety_stock_is_not_adjusted_by_hand(harness: Harness, network: Network) -> None:
    change = {
        "locationId": location_id(network.loop),
        "sku": "TEE-001",
        "delta": 1,
        "bucket": "SAFETY_STOCK",
    }
    errors = (await harness.graphql(ADJUST, {"input": change}))["adjustInventory"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "bucket"], "INVALID")]
    assert "setSafetyStockRule" in errors[0]["message"]


async def test_an_external_id_is_applied_once(harness: Harness, network: Network) -> None:
    change = {
        "locationId": location_id(network.dc),
        "sku": "LAMP-003",
        "delta": 4,
        "reason": "RECEIPT",
        "externalId": "asn-77",
        "source": "wms",
    }
    first = (await harness.graphql(ADJUST, {"input": change}))["adjustInventory"]
    after_first = await ledger_and_outbox(harness)
    again = (await harness.graphql(ADJUST, {"input": change}))["adjustInventory"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["inventoryLevel"]["onHand"] == first["inventoryLevel"]["onHand"] == 14
    assert await ledger_and_outbox(harness) == after_first
    conflict = (await harness.graphql(ADJUST, {"input": {**change, "delta": 9}}))["adjustInventory"]
    assert [e["code"] for e in conflict["userErrors"]] == ["IDEMPOTENCY_CONFLICT"]


async def test_bad_adjustments_are_user_errors_and_change_nothing(
    harness: Harness, network: Network
) -> None:
    before = await ledger_and_outbox(harness)
    cases = [
        (
            {"locationId": location_id(network.loop), "sku": "MUG-002", "delta": -2},
            ["input", "delta"],
            "NEGATIVE_STOCK",
        ),
        (
            {"locationId": location_id(network.loop), "sku": "NOPE", "delta": 1},
            ["input", "sku"],
            "UNKNOWN_SKU",
        ),
        (
            {"locationId": location_id(999), "sku": "MUG-002", "delta": 1},
            ["input", "locationId"],
            "UNKNOWN_LOCATION",
        ),
        (
            {"locationId": "not-an-id", "sku": "MUG-002", "delta": 1},
            ["input", "locationId"],
            "INVALID",
        ),
        (
            {"locationId": location_id(network.loop), "sku": "MUG-002", "delta": 0},
            ["input", "delta"],
            "INVALID_QUANTITY",
        ),
        (
            {
                "locationId": location_id(network.loop),
                "sku": "MUG-002",
                "delta": 1,
                "bucket": "COMMITTED",
            },
            ["input", "bucket"],
            "INVALID",
        ),
        (
            {
                "locationId": location_id(network.loop),
                "sku": "MUG-002",
                "delta": 1,
                "reason": "COMMIT",
            },
            ["input", "reason"],
            "INVALID",
        ),
    ]
    for change, field, code in cases:
        errors = (await harness.graphql(ADJUST, {"input": change}))["adjustInventory"]["userErrors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], change
    assert await ledger_and_outbox(harness) == before


async def test_set_inventory_records_the_count_difference(
    harness: Harness, network: Network
) -> None:
    payload = (
        await harness.graphql(
            SET,
            {
                "input": {
                    "locationId": location_id(network.evanston),
                    "sku": "TEE-001",
                    "quantity": 5,
                    "externalId": "count-1",
                }
            },
        )
    )["setInventory"]
    assert payload["inventoryLevel"] == {"onHand": 5, "available": 5}
    async with harness.services.db.read_session() as session:
        count = await session.scalar(
            select(InventoryMovement).where(InventoryMovement.external_id == "count-1")
        )
    assert count is not None and (count.delta, count.reason) == (-3, "CYCLE_COUNT")
    replay = (
        await harness.graphql(
            SET,
            {
                "input": {
                    "locationId": location_id(network.evanston),
                    "sku": "TEE-001",
                    "quantity": 5,
                    "externalId": "count-1",
                }
            },
        )
    )["setInventory"]
    assert replay["replayed"] is True
    negative = (
        await harness.graphql(
            SET,
            {
                "input": {
                    "locationId": location_id(network.evanston),
                    "sku": "TEE-001",
                    "quantity": -1,
                }
            },
        )
    )["setInventory"]
    assert [(e["field"], e["code"]) for e in negative["userErrors"]] == [
        (["input", "quantity"], "NEGATIVE_STOCK")
    ]


async def test_a_new_sku_at_a_location_gets_a_level(harness: Harness, network: Network) -> None:
    payload = (
        await harness.graphql(
            SET,
            {
                "input": {
                    "locationId": location_id(network.oak_park),
                    "sku": "MUG-002",
                    "quantity": 12,
                }
            },
        )
    )["setInventory"]
    assert payload["inventoryLevel"] == {"onHand": 12, "available": 12}
    read = await harness.graphql(
        """query($l: ID!) {
          inventoryLevel(locationId: $l, sku: "MUG-002") { onHand available product { name } }
        }""",
        {"l": location_id(network.oak_park)},
    )
    assert read["inventoryLevel"] == {
        "onHand": 12,
        "available": 12,
        "product": {"name": "Stoneware Mug"},
    }


async def test_the_same_external_id_sent_concurrently_applies_once(
    harness: Harness, network: Network
) -> None:
    change = {
        "locationId": location_id(network.dc),
        "sku": "MUG-002",
        "delta": 7,
        "reason": "RECEIPT",
        "externalId": "asn-race",
        "source": "wms",
    }
    results = await asyncio.gather(*(harness.graphql(ADJUST, {"input": change}) for _ in range(8)))
    payloads = [r["adjustInventory"] for r in results]
    assert all(p["userErrors"] == [] for p in payloads)
    assert sorted(p["replayed"] for p in payloads) == [False] + [True] * 7
    assert {p["inventoryLevel"]["onHand"] for p in payloads} == {47}


async def test_a_resent_count_must_say_the_same_and_an_unchanged_count_spends_its_id(
    harness: Harness, network: Network
) -> None:
    count = {"locationId": location_id(network.evanston), "sku": "TEE-001", "externalId": "c-7"}
    first = (await harness.graphql(SET, {"input": {**count, "quantity": 6}}))["setInventory"]
    assert first["inventoryLevel"] == {"onHand": 6, "available": 6}
    other = (await harness.graphql(SET, {"input": {**count, "quantity": 9}}))["setInventory"]
    assert [(e["field"], e["code"]) for e in other["userErrors"]] == [
        (["input", "externalId"], "IDEMPOTENCY_CONFLICT")
    ]
    # A count that matches the shelf moves nothing, yet its id cannot be reused for another.
    same = {"locationId": location_id(network.loop), "sku": "TEE-001", "externalId": "c-8"}
    unchanged = (await harness.graphql(SET, {"input": {**same, "quantity": 3}}))["setInventory"]
    assert unchanged["userErrors"] == [] and unchanged["inventoryLevel"]["onHand"] == 3
    reused = (await harness.graphql(SET, {"input": {**same, "quantity": 1}}))["setInventory"]
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_CONFLICT"]
