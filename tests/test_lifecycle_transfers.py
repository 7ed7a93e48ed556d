"""A pickup store short of stock gets it from another location by a store transfer."""

from __future__ import annotations

from sqlalchemy import select

from omnigraph.db.models import InventoryLevel
from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
from tests.lifecycle import (
    ACCEPT,
    HAND_OVER,
    READY,
    RELEASE,
    SHIP,
    SHORT,
    TRACK,
    Notices,
    act,
    codes,
    decided_at,
    done,
    events_since,
    last_event_id,
    pick_and_pack,
    place,
    place_pickup,
    read_order,
)
from tests.test_api_orders import order_input

LAMP = 3
RECEIVE = """
mutation($input: ReceiveTransferInput!) {
  receiveTransfer(input: $input) {
    fulfillmentOrder { id status }
    order { status }
    replayed
    rerouted { id status kind location { code } lines { quantity } }
    userErrors { field code message }
  }
}
"""
TRANSFER = """
query($id: ID!) { node(id: $id) { ... on FulfillmentOrder {
  status kind location { code }
  transfer { expectedArrival receivedAt destination { code } }
} } }
"""


async def levels(harness: Harness, location_id: int) -> tuple[int, int, int]:
    """(on hand, committed, incoming) of lamps at a location."""
    async with harness.services.db.read_session() as session:
        row = await session.scalar(
            select(InventoryLevel).where(
                InventoryLevel.location_id == location_id, InventoryLevel.product_id == LAMP
            )
        )
    return (row.on_hand, row.committed, row.incoming) if row else (0, 0, 0)


async def test_a_short_pickup_store_is_supplied_by_transfer_and_the_pickup_goes_ahead(
    harness: Harness, network: Network
) -> None:
    notices = await Notices.start(harness)
    order = await place_pickup(harness, network.oak_park)
    assert await notices.new() == ["order_confirmation"]
    promised_before = (
        await harness.graphql(
            "query($id: ID!) { node(id: $id) { ... on Order { promised { latest } } } }",
            {"id": order["id"]},
        )
    )["node"]["promised"]["latest"]
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    before = await last_event_id(harness)
    short = await done(
        harness, SHORT, fulfillmentOrderId=fo["id"], lineNumber=1, quantity=2, reason="MISSING"
    )
    assert short["fulfillmentOrder"]["status"] == "CANCELLED"
    assert short["order"]["status"] == "IN_PROGRESS"
    events = await events_since(harness, before)
    assert [e.payload["kind"] for e in events if e.topic == "fulfillment.released"] == ["TRANSFER"]
    assert "order.backordered" not in [e.topic for e in events]
    [moved] = short["rerouted"]
    assert moved["status"] == "RELEASED" and moved["location"]["code"] == "DC-JOLIET"
    assert await levels(harness, network.oak_park) == (0, 0, 0)
    assert await levels(harness, network.dc) == (10, 2, 0)
    details = (await harness.graphql(TRANSFER, {"id": moved["id"]}))["node"]
    assert details["kind"] == "TRANSFER"
    assert details["transfer"]["destination"]["code"] == "ST-OAKPARK"
    arrival = details["transfer"]["expectedArrival"]
    # The order's explanation now shows the transfer's plan, under the order's method.
    assert await decided_at(harness, order["id"]) == ("PICKUP", ["DC-JOLIET"])
    view = await read_order(harness, order["id"])
    assert view["backorders"] == []
    promised = (
        await harness.graphql(
            "query($id: ID!) { node(id: $id) { ... on Order { promised { latest } } } }",
            {"id": order["id"]},
        )
    )["node"]["promised"]["latest"]
    assert promised == max(arrival, promised_before)
    assert any("ready-by moved" in (e["reason"] or "") for e in view["timeline"]) == (
        arrival > promised_before
    )

    # Not shipped yet: the store cannot receive it.
    early = await act(harness, RECEIVE, fulfillmentOrderId=moved["id"])
    assert codes(early) == ["INVALID_TRANSITION"]

    # The DC picks, packs and ships it to the store.
    await pick_and_pack(harness, moved["id"], "LAMP-003", 2)
    shipped = await done(harness, SHIP, fulfillmentOrderId=moved["id"])
    assert shipped["order"]["status"] == "IN_PROGRESS"  # a transfer is not the customer's
    assert await levels(harness, network.dc) == (8, 0, 0)
    assert await levels(harness, network.oak_park) == (0, 0, 2)
    # The carrier's "delivered" does not receive it: the store does.
    await done(
        harness,
        TRACK,
        trackingNumber=shipped["shipments"][0]["trackingNumber"],
        status="DELIVERED",
        occurredAt="2026-11-24T10:00:00+00:00",
    )
    assert (await harness.graphql(TRANSFER, {"id": moved["id"]}))["node"]["status"] == "SHIPPED"
    assert await notices.new() == []  # the store's parcel, not the customer's

    received = await done(harness, RECEIVE, fulfillmentOrderId=moved["id"])
    assert received["fulfillmentOrder"]["status"] == "DELIVERED"
    [pickup] = received["rerouted"]
    assert (pickup["kind"], pickup["status"], pickup["location"]["code"]) == (
        "PICKUP",
        "RELEASED",
        "ST-OAKPARK",
    )
    assert await levels(harness, network.oak_park) == (2, 2, 0)
    again = await done(harness, RECEIVE, fulfillmentOrderId=moved["id"])
    assert again["replayed"] is True
    assert await levels(harness, network.oak_park) == (2, 2, 0)

    # And the customer collects as usual.
    await pick_and_pack(harness, pickup["id"], "LAMP-003", 2)
    await done(harness, READY, fulfillmentOrderId=pickup["id"])
    assert await notices.new() == ["ready_for_pickup"]
    handed = await done(
        harness,
        HAND_OVER,
        fulfillmentOrderId=pickup["id"],
        orderNumber=order["number"],
        customerName="Ada Lovelace",
    )
    assert handed["order"]["status"] == "COMPLETED"
    assert await levels(harness, network.oak_park) == (0, 0, 0)
    assert await notices.new() == []
    assert await ledger_discrepancies(harness.services) == []


async def test_only_a_transfer_can_be_received(harness: Harness, network: Network) -> None:
    order = await place(harness, order_input())
    refused = await act(harness, RECEIVE, fulfillmentOrderId=order["fulfillmentOrders"][0]["id"])
    assert codes(refused) == ["INVALID"]
