"""recordInventoryCount: cycle counts through the API, and the pure count comparison."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from omnigraph.db.models import InventoryLevel, InventoryMovement, OutboxEvent
from omnigraph.domain.counts import CountLine, compare_count, count_problems
from omnigraph.domain.errors import ErrorCode
from omnigraph.domain.inventory import StockLevel
from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_api_inventory import ADJUST, location_id
from tests.test_api_orders import CREATE, order_input

COUNT = """
mutation Count($input: RecordInventoryCountInput!) {
  recordInventoryCount(input: $input) {
    replayed
    discrepancies { sku expected counted delta shortfall }
    userErrors { field code message }
  }
}
"""
LEVEL = """
query($l: ID!, $sku: String!) { inventoryLevel(locationId: $l, sku: $sku) { onHand committed } }
"""


def count_input(location: int, counts: dict[str, int], **changes: Any) -> dict[str, Any]:
    return {
        "locationId": location_id(location),
        "counts": [{"sku": sku, "quantity": qty} for sku, qty in counts.items()],
        "externalId": "count-1",
        "source": "wms",
        **changes,
    }


async def record(harness: Harness, **kwargs: Any) -> dict[str, Any]:
    data = await harness.graphql(COUNT, {"input": count_input(**kwargs)})
    payload: dict[str, Any] = data["recordInventoryCount"]
    return payload


async def on_hand(harness: Harness, location: int, sku: str) -> int | None:
    level = (await harness.graphql(LEVEL, {"l": location_id(location), "sku": sku}))[
        "inventoryLevel"
    ]
    return None if level is None else int(level["onHand"])


async def written(harness: Harness) -> tuple[int, int, int]:
    """Movements, outbox events and level rows: what a refused or replayed count must not grow."""
    async with harness.services.db.read_session() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (InventoryMovement, OutboxEvent, InventoryLevel)
        ]
    return int(counts[0] or 0), int(counts[1] or 0), int(counts[2] or 0)


async def test_a_count_sets_on_hand_and_reports_only_what_differs(
    harness: Harness, network: Network
) -> None:
    before = await written(harness)
    payload = await record(
        harness,
        location=network.loop,
        counts={"TEE-001": 5, "MUG-002": 1, "LAMP-003": 0},
    )
    assert payload == {
        "replayed": False,
        "discrepancies": [
            {"sku": "TEE-001", "expected": 3, "counted": 5, "delta": 2, "shortfall": 0}
        ],
        "userErrors": [],
    }
    assert await on_hand(harness, network.loop, "TEE-001") == 5
    assert await on_hand(harness, network.loop, "MUG-002") == 1
    # Counting zero of a SKU never stocked here creates no level.
    assert await on_hand(harness, network.loop, "LAMP-003") is None
    async with harness.services.db.read_session() as session:
        movements = (
            await session.execute(
                select(InventoryMovement.product_id, InventoryMovement.delta)
                .where(InventoryMovement.reason == "CYCLE_COUNT")
                .order_by(InventoryMovement.id)
            )
        ).all()
        topics = list(
            await session.scalars(
                select(OutboxEvent.topic).where(OutboxEvent.id > 0).order_by(OutboxEvent.id)
            )
        )
    assert [tuple(m) for m in movements] == [(1, 2)]
    assert topics[-2:] == ["inventory.changed", "inventory.counted"]
    assert await written(harness) == (before[0] + 1, before[1] + 2, before[2])


async def test_a_resent_count_changes_nothing_and_answers_the_same(
    harness: Harness, network: Network
) -> None:
    first = await record(harness, location=network.evanston, counts={"TEE-001": 6})
    matching = await record(
        harness, location=network.loop, counts={"MUG-002": 1}, externalId="count-2"
    )
    assert matching["discrepancies"] == []
    # Stock moves after both counts; resending them must not wind it back.
    for location, sku in ((network.evanston, "TEE-001"), (network.loop, "MUG-002")):
        receipt = {"locationId": location_id(location), "sku": sku, "delta": 4}
        assert (await harness.graphql(ADJUST, {"input": receipt}))["adjustInventory"][
            "userErrors"
        ] == []
    before = await written(harness)

    again = await record(harness, location=network.evanston, counts={"TEE-001": 6})
    matching_again = await record(
        harness, location=network.loop, counts={"MUG-002": 1}, externalId="count-2"
    )

    assert again == {**first, "replayed": True}
    assert first["discrepancies"] == [
        {"sku": "TEE-001", "expected": 8, "counted": 6, "delta": -2, "shortfall": 0}
    ]
    assert matching_again == {**matching, "replayed": True}
    assert await on_hand(harness, network.evanston, "TEE-001") == 10
    assert await on_hand(harness, network.loop, "MUG-002") == 5
    assert await written(harness) == before


async def test_the_same_external_id_with_other_lines_is_a_conflict(
    harness: Harness, network: Network
) -> None:
    await record(harness, location=network.evanston, counts={"TEE-001": 6})
    before = await written(harness)
    other_lines = await record(harness, location=network.evanston, counts={"TEE-001": 7})
    other_place = await record(harness, location=network.loop, counts={"TEE-001": 6})
    for payload in (other_lines, other_place):
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "externalId"], "IDEMPOTENCY_CONFLICT")
        ]
    # An external id a setInventory already used cannot be reused by a count either.
    taken = await harness.graphql(
        """mutation($input: SetInventoryInput!) { setInventory(input: $input) { replayed } }""",
        {
            "input": {
                "locationId": location_id(network.dc),
                "sku": "MUG-002",
                "quantity": 39,
                "externalId": "count-9",
                "source": "wms",
            }
        },
    )
    assert taken["setInventory"]["replayed"] is False
    reused = await record(
        harness, location=network.dc, counts={"LAMP-003": 9}, externalId="count-9"
    )
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_CONFLICT"]
    assert await written(harness) == (before[0] + 1, before[1] + 1, before[2])


async def test_a_bad_line_refuses_the_whole_count(harness: Harness, network: Network) -> None:
    before = await written(harness)
    payload = await record(
        harness,
        location=network.loop,
        counts={"TEE-001": 9, "NOPE-404": 1, "MUG-002": -1},
    )
    assert payload["discrepancies"] == []
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "counts", "1", "sku"], "UNKNOWN_SKU"),
        (["input", "counts", "2", "quantity"], "NEGATIVE_STOCK"),
    ]
    duplicate = await harness.graphql(
        COUNT,
        {
            "input": {
                **count_input(network.loop, {}),
                "counts": [{"sku": "TEE-001", "quantity": 1}, {"sku": "TEE-001", "quantity": 2}],
            }
        },
    )
    assert [e["code"] for e in duplicate["recordInventoryCount"]["userErrors"]] == [
        "DUPLICATE_LINE"
    ]
    nowhere = await record(harness, location=999, counts={"TEE-001": 1})
    empty = await record(harness, location=network.loop, counts={}, externalId=" ")
    assert [e["code"] for e in nowhere["userErrors"]] == ["UNKNOWN_LOCATION"]
    assert sorted(e["code"] for e in empty["userErrors"]) == ["REQUIRED", "REQUIRED"]
    assert await on_hand(harness, network.loop, "TEE-001") == 3
    assert await written(harness) == before
    # The corrected count under the same external id is applied: nothing was recorded.
    fixed = await record(harness, location=network.loop, counts={"TEE-001": 9, "MUG-002": 0})
    assert (fixed["replayed"], [d["sku"] for d in fixed["discrepancies"]]) == (
        False,
        ["TEE-001", "MUG-002"],
    )


async def test_a_count_below_held_stock_is_accepted_and_reports_the_shortfall(
    harness: Harness, network: Network
) -> None:
    order = (await harness.graphql(CREATE, {"input": order_input()}))["createOrder"]
    assert order["order"]["fulfillmentOrders"][0]["location"]["code"] == "ST-LOOP"
    payload = await record(harness, location=network.loop, counts={"TEE-001": 1})
    assert payload["userErrors"] == []
    assert payload["discrepancies"] == [
        {"sku": "TEE-001", "expected": 3, "counted": 1, "delta": -2, "shortfall": 1}
    ]
    level = (await harness.graphql(LEVEL, {"l": location_id(network.loop), "sku": "TEE-001"}))[
        "inventoryLevel"
    ]
    assert level == {"onHand": 1, "committed": 2}


async def test_moves_recorded_after_counted_at_survive_the_count(
    harness: Harness, network: Network
) -> None:
    now = datetime.now(UTC)
    async with harness.services.unit_of_work() as uow:
        # The network's initial stock was booked well before the shelves were counted.
        await uow.session.execute(
            update(InventoryMovement).values(created_at=now - timedelta(hours=2))
        )
        await uow.commit()
    receipt = {"locationId": location_id(network.evanston), "sku": "TEE-001", "delta": 5}
    await harness.graphql(ADJUST, {"input": receipt})  # on hand 8 -> 13, after the count
    payload = await record(
        harness,
        location=network.evanston,
        counts={"TEE-001": 7},
        countedAt=(now - timedelta(hours=1)).isoformat(),
    )
    assert payload["discrepancies"] == [
        {"sku": "TEE-001", "expected": 8, "counted": 7, "delta": -1, "shortfall": 0}
    ]
    assert await on_hand(harness, network.evanston, "TEE-001") == 12
    naive = await record(
        harness,
        location=network.evanston,
        counts={"TEE-001": 7},
        externalId="count-naive",
        countedAt="2024-05-01T10:00:00",
    )
    assert [(e["field"], e["code"]) for e in naive["userErrors"]] == [
        (["input", "countedAt"], "INVALID")
    ]


def test_compare_count_keeps_held_stock_and_floors_on_hand_at_zero() -> None:
    level = StockLevel(on_hand=10, committed=4, reserved=3, damaged=1)
    same = compare_count("A", level, 10)
    assert (same.discrepancy, same.applied_delta, same.after) == (None, 0, level)
    short = compare_count("A", level, 5)
    assert short.after == StockLevel(on_hand=5, committed=4, reserved=3, damaged=1)
    assert short.discrepancy is not None
    assert (short.discrepancy.delta, short.discrepancy.shortfall) == (-5, 2)
    # 3 shipped after the count: the shelf held 13 when counted, and 12 were found.
    later = compare_count("A", level, 12, moved_since=-3)
    assert later.discrepancy is not None
    assert (later.discrepancy.expected, later.discrepancy.delta, later.after.on_hand) == (
        13,
        -1,
        9,
    )
    contradicted = compare_count("A", StockLevel(on_hand=2), 1, moved_since=-4)
    assert (contradicted.after.on_hand, contradicted.applied_delta) == (0, -2)


def test_count_problems_are_all_reported_at_once() -> None:
    problems = count_problems(
        [CountLine("A", 1), CountLine("A", 2), CountLine("B", -1), CountLine("A", 10**9)],
        {"A": object()},
    )
    assert [(p.field, p.code) for p in problems] == [
        (("counts", "1", "sku"), ErrorCode.DUPLICATE_LINE),
        (("counts", "2", "quantity"), ErrorCode.NEGATIVE_STOCK),
        (("counts", "2", "sku"), ErrorCode.UNKNOWN_SKU),
        (("counts", "3", "quantity"), ErrorCode.INVALID_QUANTITY),
        (("counts", "3", "sku"), ErrorCode.DUPLICATE_LINE),
    ]
    assert [p.code for p in count_problems([], {})] == [ErrorCode.REQUIRED]


async def test_one_external_id_sent_to_two_locations_at_once_applies_once(
    harness: Harness, network: Network
) -> None:
    at_loop = count_input(network.loop, {"TEE-001": 1}, externalId="count-race")
    at_evanston = count_input(network.evanston, {"TEE-001": 2}, externalId="count-race")
    results = await asyncio.gather(
        harness.graphql(COUNT, {"input": at_loop}), harness.graphql(COUNT, {"input": at_evanston})
    )
    payloads = [r["recordInventoryCount"] for r in results]
    codes = sorted(e["code"] for p in payloads for e in p["userErrors"])
    assert codes == ["IDEMPOTENCY_CONFLICT"]
