"""Partial cancellation: some units of some lines, until they are picked."""

from __future__ import annotations

from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
from tests.lifecycle import (
    ACCEPT,
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
    place,
    read_order,
    snapshot,
    stock,
)
from tests.test_api_orders import order_input

TEE, MUG = 1, 2
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


async def test_picked_units_stay_and_the_rest_ship(harness: Harness, network: Network) -> None:
    notices = await Notices.start(harness)
    order = await place(harness, cart())
    assert await notices.new() == ["order_confirmation"]
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001")

    unchanged = await snapshot(harness)
    refused = await act(
        harness, CANCEL_LINES, orderId=order["id"], lines=[{"lineNumber": 1, "keepQuantity": 0}]
    )
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert "already picked" in refused["userErrors"][0]["message"]
    assert await snapshot(harness) == unchanged

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
        {"lineNumber": 1, "quantity": 1},
        {"lineNumber": 2, "quantity": 1},
    ]
    assert event.payload["reason"] == "customer call"
    view = await read_order(harness, order["id"])
    [working] = view["fulfillmentOrders"]
    assert working["status"] == "PICKING"
    assert [(p["sku"], p["quantity"], p["picked"]) for p in working["pickList"]] == [
        ("TEE-001", 1, 1)
    ]
    assert await notices.new() == []

    # The kept tee ships and arrives: the order completes with the cancelled units left out.
    await pack_one_box(harness, fo["id"], 1)
    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    assert shipped["order"]["status"] == "FULFILLED"
    assert await stock(harness, network.loop, TEE) == (2, 0, 0)
    assert await notices.new() == ["shipped"]
    after_ship = await act(
        harness, CANCEL_LINES, orderId=order["id"], lines=[{"lineNumber": 1, "keepQuantity": 0}]
    )
    assert codes(after_ship) == ["INVALID_TRANSITION"]
    assert after_ship["userErrors"][0]["field"] == ["input", "orderId"]
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
