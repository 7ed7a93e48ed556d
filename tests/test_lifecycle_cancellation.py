"""Partial cancellation: some units of some lines, until they ship."""

from __future__ import annotations

from typing import Any

from omnigraph.api.ids import decode_id
from omnigraph.testing import Harness
from tests.factories import Network, build_network, ledger_discrepancies
from tests.lifecycle import (
    ACCEPT,
    HAND_OVER,
    PACK,
    READY,
    RELEASE,
    SCAN,
    SHIP,
    TRACK,
    Notices,
    act,
    codes,
    done,
    events_since,
    last_event_id,
    pack_one_box,
    pick_and_pack,
    place,
    place_pickup,
    read_order,
    snapshot,
    stock,
)
from tests.test_api_orders import order_input

TEE, MUG, LAMP = 1, 2, 3
CANCEL_LINES = """
mutation($input: CancelOrderLinesInput!) {
  cancelOrderLines(input: $input) {
    order { id status lines { lineNumber quantity quantityCancelled } }
    replayed
    userErrors { field code message }
  }
}
"""


def cart() -> dict[str, object]:
    return order_input(lines=[{"sku": "TEE-001", "quantity": 2}, {"sku": "MUG-002", "quantity": 1}])


async def test_lines_are_cut_down_idempotently_and_the_stock_is_given_back(
    harness: Harness, network: Network
) -> None:
    order = await place(harness, cart())
    assert {fo["location"]["code"] for fo in order["fulfillmentOrders"]} == {"ST-LOOP"}
    assert await stock(harness, network.loop, TEE) == (3, 2, 0)

    unchanged = await snapshot(harness)
    too_many = await act(
        harness, CANCEL_LINES, orderId=order["id"], lines=[{"lineNumber": 1, "keepQuantity": 3}]
    )
    assert codes(too_many) == ["INVALID_QUANTITY"]
    assert too_many["userErrors"][0]["field"] == ["input", "lines", "0", "keepQuantity"]
    unknown = await act(
        harness, CANCEL_LINES, orderId=order["id"], lines=[{"lineNumber": 7, "keepQuantity": 0}]
    )
    assert codes(unknown) == ["NOT_FOUND"]
    assert await snapshot(harness) == unchanged

    before = await last_event_id(harness)
    cut = await done(
        harness,
        CANCEL_LINES,
        orderId=order["id"],
        lines=[{"lineNumber": 1, "keepQuantity": 1}],
        reason="only one needed",
    )
    assert cut["order"]["lines"][0] == {"lineNumber": 1, "quantity": 2, "quantityCancelled": 1}
    assert cut["order"]["status"] == "PENDING"
    assert await stock(harness, network.loop, TEE) == (3, 1, 0)
    [event] = await events_since(harness, before, ["order.lines_cancelled"])
    assert event.payload["lines"] == [{"lineNumber": 1, "quantity": 1}]
    again = await done(
        harness, CANCEL_LINES, orderId=order["id"], lines=[{"lineNumber": 1, "keepQuantity": 1}]
    )
    assert again["replayed"] is True
    assert await stock(harness, network.loop, TEE) == (3, 1, 0)
    view = await read_order(harness, order["id"])
    assert view["fulfillmentOrders"][0]["lines"][0]["quantity"] == 1

    # Cancelling what is left cancels the fulfilment order and the order.
    gone = await done(
        harness,
        CANCEL_LINES,
        orderId=order["id"],
        lines=[{"lineNumber": 1, "keepQuantity": 0}, {"lineNumber": 2, "keepQuantity": 0}],
    )
    assert gone["order"]["status"] == "CANCELLED"
    [cancelled] = await events_since(harness, before, ["order.cancelled"])
    assert (cancelled.payload["from"], cancelled.payload["to"]) == ("PENDING", "CANCELLED")
    assert await stock(harness, network.loop, TEE) == (3, 0, 0)
    assert await stock(harness, network.loop, MUG) == (1, 0, 0)
    view = await read_order(harness, order["id"])
    assert view["fulfillmentOrders"][0]["status"] == "CANCELLED"
    assert view["timeline"][-1]["toStatus"] == "CANCELLED"
    assert await ledger_discrepancies(harness.services) == []


FULFILMENT = """
query($id: ID!) {
  node(id: $id) { ... on FulfillmentOrder {
    status
    lines { quantity }
    pickList { sku quantity picked remaining }
    packages { number weightGrams lines { lineNumber quantity } }
  } }
}
"""
# No location has both mugs and lamps, so an order for one of each is split in two.
SPLIT_STOCK = {(1, "MUG-002"): 40, (2, "MUG-002"): 1, (3, "LAMP-003"): 2, (4, "LAMP-003"): 2}


async def fulfilment(harness: Harness, fulfilment_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await harness.graphql(FULFILMENT, {"id": fulfilment_id}))["node"]
    return node


async def test_picked_units_go_back_on_the_shelf_and_the_rest_ship(
    harness: Harness, network: Network
) -> None:
    notices = await Notices.start(harness)
    order = await place(harness, cart())
    assert await notices.new() == ["order_confirmation"]
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001", quantity=2)

    # One picked tee goes back on the shelf and the unpicked mug comes off: the stock they
    # held is given back (picking moved none: the tees stayed committed on hand).
    before = await last_event_id(harness)
    cut = await done(
        harness,
        CANCEL_LINES,
        orderId=order["id"],
        lines=[{"lineNumber": 1, "keepQuantity": 1}, {"lineNumber": 2, "keepQuantity": 0}],
        reason="customer call",
    )
    assert cut["order"]["status"] == "IN_PROGRESS"
    assert [line["quantityCancelled"] for line in cut["order"]["lines"]] == [1, 1]
    assert await stock(harness, network.loop, TEE) == (3, 1, 0)
    assert await stock(harness, network.loop, MUG) == (1, 0, 0)
    [event] = await events_since(harness, before, ["order.lines_cancelled"])
    assert event.payload["lines"] == [
        {"lineNumber": 1, "quantity": 1, "putBack": 1},
        {"lineNumber": 2, "quantity": 1},
    ]
    assert event.payload["reason"] == "customer call"
    view = await read_order(harness, order["id"])
    [working] = view["fulfillmentOrders"]
    assert working["status"] == "PICKING"
    assert [(p["sku"], p["quantity"], p["picked"]) for p in working["pickList"]] == [
        ("TEE-001", 1, 1)
    ]
    assert view["timeline"][-1]["details"]["cancelled"] == event.payload["lines"]
    assert await notices.new() == []
    assert await ledger_discrepancies(harness.services) == []
    # The tee put back is no longer on the pick list: scanning it again is an over-pick.
    over = await act(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001")
    assert codes(over) == ["OVER_PICK"]

    # The kept tee ships and arrives: the order completes with the cancelled units left out.
    await pack_one_box(harness, fo["id"], 1)
    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    assert shipped["order"]["status"] == "FULFILLED"
    assert await stock(harness, network.loop, TEE) == (2, 0, 0)
    assert await notices.new() == ["shipped"]
    unchanged = await snapshot(harness)
    after_ship = await act(
        harness, CANCEL_LINES, orderId=order["id"], lines=[{"lineNumber": 1, "keepQuantity": 0}]
    )
    assert codes(after_ship) == ["INVALID_TRANSITION"]
    assert after_ship["userErrors"][0]["field"] == ["input", "orderId"]
    assert await snapshot(harness) == unchanged
    delivered = await done(
        harness,
        TRACK,
        trackingNumber=shipped["shipments"][0]["trackingNumber"],
        status="DELIVERED",
        occurredAt="2026-11-25T12:00:00+00:00",
    )
    assert delivered["order"]["status"] == "COMPLETED"
    assert await notices.new() == ["delivered"]
    assert await ledger_discrepancies(harness.services) == []


async def test_a_packed_unit_comes_out_and_the_rest_is_packed_again_and_shipped(
    harness: Harness, network: Network
) -> None:
    notices = await Notices.start(harness)
    order = await place(harness, order_input(lines=[{"sku": "TEE-001", "quantity": 2}]))
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001", quantity=2)
    boxes = [{"lines": [{"lineNumber": 1, "quantity": 1}]}] * 2
    packed = await done(harness, PACK, fulfillmentOrderId=fo["id"], packages=boxes)
    assert len(packed["fulfillmentOrder"]["packages"]) == 2
    assert await notices.new() == ["order_confirmation"]

    before = await last_event_id(harness)
    cut = await done(
        harness, CANCEL_LINES, orderId=order["id"], lines=[{"lineNumber": 1, "keepQuantity": 1}]
    )
    assert cut["order"]["status"] == "IN_PROGRESS"
    assert await stock(harness, network.loop, TEE) == (3, 1, 0)
    # The parcels are unpacked: the fulfilment order is back to PICKING, its pick complete.
    [moved] = await events_since(harness, before, ["fulfillment.status_changed"])
    assert (moved.payload["from"], moved.payload["to"]) == ("PACKED", "PICKING")
    opened = await fulfilment(harness, fo["id"])
    assert opened["status"] == "PICKING"
    assert opened["packages"] == []
    assert opened["pickList"] == [{"sku": "TEE-001", "quantity": 1, "picked": 1, "remaining": 0}]
    [event] = await events_since(harness, before, ["order.lines_cancelled"])
    assert event.payload["lines"] == [{"lineNumber": 1, "quantity": 1, "putBack": 1}]
    assert await notices.new() == []
    assert await ledger_discrepancies(harness.services) == []

    # It cannot ship unpacked, nor be packed with the unit taken out.
    unchanged = await snapshot(harness)
    unpacked = await act(harness, SHIP, fulfillmentOrderId=fo["id"])
    assert codes(unpacked) == ["INVALID_TRANSITION"]
    stale = await act(harness, PACK, fulfillmentOrderId=fo["id"], packages=boxes)
    assert codes(stale) == ["PACKING_MISMATCH"]
    assert await snapshot(harness) == unchanged

    repacked = await pack_one_box(harness, fo["id"], 1)
    assert repacked["fulfillmentOrder"]["status"] == "PACKED"
    assert [p["weightGrams"] for p in repacked["fulfillmentOrder"]["packages"]] == [200]
    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    assert shipped["order"]["status"] == "FULFILLED"
    assert await stock(harness, network.loop, TEE) == (2, 0, 0)
    assert await notices.new() == ["shipped"]
    assert await ledger_discrepancies(harness.services) == []


async def test_a_staged_unit_comes_out_and_the_customer_collects_the_rest(
    harness: Harness, network: Network
) -> None:
    notices = await Notices.start(harness)
    order = await place_pickup(harness, network.loop, sku="TEE-001", quantity=2)
    [fo] = order["fulfillmentOrders"]
    assert fo["kind"] == "PICKUP"
    await done(harness, RELEASE, orderId=order["id"])
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001", quantity=2)
    bags = [{"lines": [{"lineNumber": 1, "quantity": 1}], "weightGrams": 250}] * 2
    await done(harness, PACK, fulfillmentOrderId=fo["id"], packages=bags)
    before = await last_event_id(harness)
    await done(harness, READY, fulfillmentOrderId=fo["id"])
    [ready] = await events_since(harness, before, ["fulfillment.status_changed"])
    code = ready.payload["pickupCode"]
    # Both wait in one delivery pass; the two notifiers consume events independently, so
    # which records its message first is not fixed.
    assert sorted(await notices.new()) == ["order_confirmation", "ready_for_pickup"]

    before = await last_event_id(harness)
    cut = await done(
        harness,
        CANCEL_LINES,
        orderId=order["id"],
        lines=[{"lineNumber": 1, "keepQuantity": 1}],
        reason="one is enough",
    )
    assert cut["order"]["status"] == "IN_PROGRESS"
    assert await stock(harness, network.loop, TEE) == (3, 1, 0)
    # Still staged, its last bag taken out; no new code, no new message.
    staged = await fulfilment(harness, fo["id"])
    assert staged["status"] == "READY_FOR_PICKUP"
    assert staged["lines"] == [{"quantity": 1}]
    assert staged["pickList"] == [{"sku": "TEE-001", "quantity": 1, "picked": 1, "remaining": 0}]
    assert staged["packages"] == [
        {"number": 1, "weightGrams": 250, "lines": [{"lineNumber": 1, "quantity": 1}]}
    ]
    assert await events_since(harness, before, ["fulfillment.status_changed"]) == []
    assert await notices.new() == []
    assert await ledger_discrepancies(harness.services) == []

    handed = await done(harness, HAND_OVER, fulfillmentOrderId=fo["id"], pickupCode=code)
    assert handed["fulfillmentOrder"]["status"] == "PICKED_UP"
    assert handed["order"]["status"] == "COMPLETED"
    assert await stock(harness, network.loop, TEE) == (2, 0, 0)
    assert await ledger_discrepancies(harness.services) == []


async def test_shipped_units_are_refused_and_the_rest_of_a_split_can_be_cancelled(
    harness: Harness,
) -> None:
    network = await build_network(harness.services, SPLIT_STOCK)
    lines = [{"sku": "MUG-002", "quantity": 1}, {"sku": "LAMP-003", "quantity": 1}]
    order = await place(harness, order_input(lines=lines))
    await done(harness, RELEASE, orderId=order["id"])
    by_sku = {fo["lines"][0]["product"]["sku"]: fo for fo in order["fulfillmentOrders"]}
    assert set(by_sku) == {"MUG-002", "LAMP-003"}
    mug, lamp = by_sku["MUG-002"], by_sku["LAMP-003"]
    mug_line, lamp_line = mug["lines"][0]["lineNumber"], lamp["lines"][0]["lineNumber"]
    await pick_and_pack(harness, mug["id"], "MUG-002", line_number=mug_line)
    shipped = await done(harness, SHIP, fulfillmentOrderId=mug["id"])
    assert shipped["order"]["status"] == "PARTIALLY_FULFILLED"
    await pick_and_pack(harness, lamp["id"], "LAMP-003", line_number=lamp_line)

    # The shipped mug cannot be cancelled; with it, neither is the lamp: nothing changes.
    unchanged = await snapshot(harness)
    refused = await act(
        harness,
        CANCEL_LINES,
        orderId=order["id"],
        lines=[
            {"lineNumber": lamp_line, "keepQuantity": 0},
            {"lineNumber": mug_line, "keepQuantity": 0},
        ],
    )
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert refused["userErrors"][0]["field"] == ["input", "lines", "1", "keepQuantity"]
    assert "already shipped" in refused["userErrors"][0]["message"]
    assert await snapshot(harness) == unchanged
    assert (await fulfilment(harness, lamp["id"]))["status"] == "PACKED"

    # The packed lamp alone can go: the rest of the order has shipped, so it is fulfilled.
    lamp_at = decode_id(lamp["location"]["id"], "Location", ("location",))
    held = await stock(harness, lamp_at, LAMP)
    cut = await done(
        harness,
        CANCEL_LINES,
        orderId=order["id"],
        lines=[{"lineNumber": lamp_line, "keepQuantity": 0}],
    )
    assert cut["order"]["status"] == "FULFILLED"
    assert (await fulfilment(harness, lamp["id"]))["status"] == "CANCELLED"
    assert await stock(harness, lamp_at, LAMP) == (held[0], held[1] - 1, 0)
    assert await stock(harness, network.dc, LAMP) == (0, 0, 0)
    assert await ledger_discrepancies(harness.services) == []
