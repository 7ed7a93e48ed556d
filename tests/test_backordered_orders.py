"""Orders captured against incoming supply: what waits, where, until when; the supply
claimed so nobody else waits for the same units; filled when the supply is received."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from omnigraph.db.models import Backorder, InventoryLevel, OutboxEvent, Product
from omnigraph.domain.vocabulary import MovementReason
from omnigraph.services.backorders import fill_all_waiting, waiting_at
from omnigraph.services.inventory import AdjustInventory, adjust_inventory
from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
from tests.lifecycle import RELEASE
from tests.test_api_inventory import ADJUST, location_id
from tests.test_api_orders import CANCEL, order_input
from tests.test_lifecycle_changes import CHANGE
from tests.test_no_oversell import fire
from tests.test_sourcing_dated import LAMPS_DUE, dated, lamps_incoming
from tests.test_sourcing_rules_api import SET_RULE
from tests.test_sourcing_wiring import at_tuesday

PLACE = """
mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) {
    order {
      id status promised { earliest latest }
      fulfillmentOrders { status location { code } lines { quantity product { sku } } }
      backorders { quantity lineNumber expectedOn arrivesOn filledAt location { code } }
      timeline { subjectType toStatus }
    }
    userErrors { field code message }
  }
}
"""
ORDER = """
query($id: ID!) {
  node(id: $id) {
    ... on Order {
      status
      fulfillmentOrders { status kind location { code } lines { quantity product { sku } } }
      backorders { quantity filledAt location { code } }
      timeline { subjectType toStatus }
    }
  }
}
"""


async def place(harness: Harness, quantity: int, requested: str | None) -> dict[str, Any]:
    lines = [{"sku": "LAMP-003", "quantity": quantity}]
    data = await harness.graphql(
        PLACE, {"input": order_input(lines=lines, requestedDate=requested)}
    )
    return data["createOrder"]


async def dc_lamps(harness: Harness, network: Network) -> tuple[int, int, int]:
    async with harness.services.db.read_session() as session:
        row = await session.scalar(
            select(InventoryLevel)
            .join(Product, Product.id == InventoryLevel.product_id)
            .where(InventoryLevel.location_id == network.dc, Product.sku == "LAMP-003")
        )
        assert row is not None
        return row.on_hand, row.committed, row.incoming


async def lamps_on_order(harness: Harness, network: Network) -> None:
    """20 lamps on order at the DC through the API (with its ledger movement), due Friday."""
    await adjust(harness, network, "INCOMING", 20, "ADJUSTMENT", "po-7-ordered")
    async with harness.services.unit_of_work() as uow:
        row = await uow.session.scalar(
            select(InventoryLevel).where(
                InventoryLevel.location_id == network.dc, InventoryLevel.product_id == 3
            )
        )
        assert row is not None
        row.incoming_expected_at = LAMPS_DUE
        await uow.commit()


async def receive(harness: Harness, network: Network, bucket: str, delta: int) -> dict[str, Any]:
    return await adjust(harness, network, bucket, delta, "RECEIPT", f"po-7-{bucket}")


async def adjust(
    harness: Harness, network: Network, bucket: str, delta: int, reason: str, external_id: str
) -> dict[str, Any]:
    data = await harness.graphql(
        ADJUST,
        {
            "input": {
                "locationId": location_id(network.dc),
                "sku": "LAMP-003",
                "delta": delta,
                "bucket": bucket,
                "reason": reason,
                "externalId": external_id,
            }
        },
    )
    payload = data["adjustInventory"]
    assert payload["userErrors"] == []
    return payload["inventoryLevel"]


async def test_a_future_dated_order_waits_for_supply_and_is_filled_when_it_arrives(
    harness: Harness, network: Network
) -> None:
    await lamps_on_order(harness, network)  # the DC has 10 lamps and expects 20 on Friday
    at_tuesday(harness)
    [promised] = (await dated(harness, "SHIP_STANDARD", "2026-11-30"))["options"]
    placed = await place(harness, 15, "2026-11-30")
    assert placed["userErrors"] == []
    order = placed["order"]
    # Ten ship now; five wait at the DC for Friday's supply, on the promised dates.
    [now] = order["fulfillmentOrders"]
    assert now["location"]["code"] == "DC-JOLIET" and now["lines"][0]["quantity"] == 10
    [waiting] = order["backorders"]
    assert waiting["quantity"] == 5 and waiting["location"]["code"] == "DC-JOLIET"
    assert waiting["expectedOn"] == "2026-11-20" and waiting["filledAt"] is None
    assert order["promised"] == {
        "earliest": promised["earliestDate"],
        "latest": promised["latestDate"],
    }
    assert {"subjectType": "BACKORDER", "toStatus": "BACKORDERED"} in order["timeline"]
    assert await dc_lamps(harness, network) == (10, 10, 20)
    async with harness.services.db.read_session() as session:
        created = await session.scalar(
            select(OutboxEvent.payload).where(OutboxEvent.topic == "order.created")
        )
    assert created is not None and created["backorders"][0]["quantity"] == 5

    # The supply arrives: the receipt draws incoming down, and the waiting units are
    # filled. The order is still inside its remorse window, so they wait for its release.
    level = await receive(harness, network, "ON_HAND", 20)
    assert (level["onHand"], level["committed"], level["incoming"]) == (30, 15, 0)
    after = (await harness.graphql(ORDER, {"id": order["id"]}))["node"]
    assert after["backorders"][0]["filledAt"] is not None
    filled = [fo for fo in after["fulfillmentOrders"] if fo["lines"][0]["quantity"] == 5]
    assert [(fo["status"], fo["kind"], fo["location"]["code"]) for fo in filled] == [
        ("OPEN", "SHIP", "DC-JOLIET")
    ]
    assert {"subjectType": "BACKORDER", "toStatus": "FILLED"} in after["timeline"]
    released = await harness.graphql(RELEASE, {"input": {"orderId": order["id"]}})
    assert released["releaseOrder"]["userErrors"] == []
    after = (await harness.graphql(ORDER, {"id": order["id"]}))["node"]
    assert {fo["status"] for fo in after["fulfillmentOrders"]} == {"RELEASED"}
    # Receiving again (a retried delivery of the same receipt) changes and fills nothing.
    await receive(harness, network, "ON_HAND", 20)
    assert await dc_lamps(harness, network) == (30, 15, 0)
    assert await ledger_discrepancies(harness.services) == []


async def test_an_order_changed_inside_its_window_stops_waiting(
    harness: Harness, network: Network
) -> None:
    await lamps_incoming(harness, network)
    at_tuesday(harness)
    placed = await place(harness, 15, "2026-11-30")
    order_id = placed["order"]["id"]
    changed = await harness.graphql(
        CHANGE, {"input": {"orderId": order_id, "lines": [{"sku": "LAMP-003", "quantity": 4}]}}
    )
    assert changed["changeOrder"]["userErrors"] == []
    after = (await harness.graphql(ORDER, {"id": order_id}))["node"]
    assert after["backorders"] == []
    assert {"subjectType": "BACKORDER", "toStatus": "CANCELLED"} in after["timeline"]
    # The claim ended with it: the 6 lamps left on hand and all 20 incoming can be promised
    # again, and the receipt fills nothing for this order.
    assert (await place(harness, 26, "2026-11-30"))["userErrors"] == []
    await receive(harness, network, "ON_HAND", 20)
    after = (await harness.graphql(ORDER, {"id": order_id}))["node"]
    assert (
        sum(
            fo["lines"][0]["quantity"]
            for fo in after["fulfillmentOrders"]
            if fo["status"] != "CANCELLED"
        )
        == 4
    )


async def test_incoming_supply_is_claimed_once(harness: Harness, network: Network) -> None:
    await lamps_incoming(harness, network)
    at_tuesday(harness)
    first = await place(harness, 25, "2026-11-30")  # 10 now, 15 of the 20 incoming
    assert first["userErrors"] == []
    assert first["order"]["backorders"][0]["quantity"] == 15
    second = await place(harness, 6, "2026-11-30")  # only 5 incoming left
    assert second["order"] is None
    assert second["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    [promise] = (await dated(harness, "SHIP_STANDARD", "2026-11-30"))["options"] or [None]
    assert promise is None  # 15 lamps: nothing on hand, 5 incoming left
    fits = await place(harness, 5, "2026-11-30")
    assert fits["userErrors"] == [] and fits["order"]["backorders"][0]["quantity"] == 5
    async with harness.services.db.read_session() as session:
        waiting = await session.scalar(select(func.sum(Backorder.quantity)))
    assert waiting == 20


async def test_a_cancelled_order_stops_waiting_and_frees_the_supply(
    harness: Harness, network: Network
) -> None:
    await lamps_incoming(harness, network)
    at_tuesday(harness)
    first = await place(harness, 30, "2026-11-30")
    assert first["userErrors"] == []
    assert (await place(harness, 1, "2026-11-30"))["order"] is None
    cancelled = await harness.graphql(CANCEL, {"input": {"orderId": first["order"]["id"]}})
    assert cancelled["cancelOrder"]["userErrors"] == []
    assert (await place(harness, 20, "2026-11-30"))["userErrors"] == []
    # The receipt fills only the live order's backorder.
    await receive(harness, network, "ON_HAND", 20)
    assert await dc_lamps(harness, network) == (30, 20, 0)


async def test_rules_that_allow_backorders_let_an_undated_order_wait(
    harness: Harness, network: Network
) -> None:
    await lamps_incoming(harness, network)
    at_tuesday(harness)
    refused = await place(harness, 15, None)
    assert refused["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    allowed = await harness.graphql(
        SET_RULE, {"input": {"method": "SHIP_STANDARD", "allowBackorder": True}}
    )
    assert allowed["setSourcingRule"]["userErrors"] == []
    placed = await place(harness, 15, None)
    assert placed["userErrors"] == [] and placed["order"]["backorders"][0]["quantity"] == 5


async def test_a_requested_date_in_the_past_names_the_field(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    placed = await place(harness, 1, "2026-11-01")
    assert placed["order"] is None
    [error] = placed["userErrors"]
    assert (error["field"], error["code"]) == (["input", "requestedDate"], "INVALID")


async def test_a_date_the_supply_cannot_meet_is_refused(harness: Harness, network: Network) -> None:
    await lamps_incoming(harness, network)
    at_tuesday(harness)
    placed = await place(harness, 15, "2026-11-19")  # the supply lands on the 20th
    assert placed["order"] is None
    [error] = placed["userErrors"]
    assert error["code"] == "METHOD_UNAVAILABLE" and "after 2026-11-19" in error["message"]
    assert await dc_lamps(harness, network) == (10, 0, 20)


async def test_concurrent_dated_orders_never_wait_for_the_same_units(
    harness: Harness, network: Network
) -> None:
    # 10 lamps on hand and 20 incoming: 40 buyers of 5 lamps each, all at once. The first
    # two take the 10 on hand (or part of it), and only what is left of the 30 units in all
    # can be promised: every other buyer is refused, and the claims add up.
    await lamps_incoming(harness, network)
    at_tuesday(harness)
    inputs = [
        order_input(
            lines=[{"sku": "LAMP-003", "quantity": 5}],
            requestedDate="2026-11-30",
            customer={"email": f"buyer{i}@example.com"},
        )
        for i in range(40)
    ]
    payloads = await fire(harness, PLACE, inputs)
    placed = [p for p in payloads if p["order"] is not None]
    refused = [p for p in payloads if p["order"] is None]
    assert len(placed) == 6 and len(refused) == 34
    assert {p["userErrors"][0]["code"] for p in refused} == {"INSUFFICIENT_STOCK"}
    async with harness.services.db.read_session() as session:
        waiting = await session.scalar(select(func.sum(Backorder.quantity)))
    on_hand, committed, incoming = await dc_lamps(harness, network)
    assert (committed, waiting) == (10, 20) and incoming == 20 and on_hand == 10


async def test_stock_that_comes_back_another_way_is_filled_by_the_periodic_job(
    harness: Harness, network: Network
) -> None:
    await lamps_on_order(harness, network)
    at_tuesday(harness)
    waiting = await place(harness, 12, "2026-11-30")  # 10 now, 2 wait at the DC
    cancelled = await place(harness, 3, "2026-11-30")  # 3 more wait, then it is cancelled
    await harness.graphql(CANCEL, {"input": {"orderId": cancelled["order"]["id"]}})
    assert await waiting_at(harness.services) == [(network.dc, 3)]
    # A plugin's stock update calls the service directly: no fill happens with it.
    await adjust_inventory(
        harness.services,
        AdjustInventory(
            location_id=network.dc,
            sku="LAMP-003",
            delta=2,
            reason=MovementReason.ADJUSTMENT,
            actor="wms",
        ),
    )
    assert await fill_all_waiting(harness.services) == 1
    assert await fill_all_waiting(harness.services) == 0
    after = (await harness.graphql(ORDER, {"id": waiting["order"]["id"]}))["node"]
    assert after["backorders"][0]["filledAt"] is not None
    assert await waiting_at(harness.services) == []
    assert await dc_lamps(harness, network) == (12, 12, 20)
