"""Changes inside the remorse window re-source and re-promise; after it they are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
from tests.lifecycle import (
    READY,
    RELEASE,
    Notices,
    act,
    codes,
    decided_at,
    done,
    events_since,
    last_event_id,
    pick_and_pack,
    place,
    read_order,
    snapshot,
    stock,
)
from tests.test_api_orders import order_input

TEE, MUG = 1, 2
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
CHANGE = """
mutation($input: ChangeOrderInput!) {
  changeOrder(input: $input) {
    order {
      id status deliveryMethod
      subtotal { amount } total { amount }
      promised { earliest latest }
      shippingAddress { city }
      pickupLocation { code }
      lines { lineNumber quantity quantityCancelled product { sku } }
      fulfillmentOrders { status location { code } lines { quantity product { sku } } }
    }
    replayed
    userErrors { field code message }
  }
}
"""


async def test_a_change_inside_the_window_re_sources_and_re_prices(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    notices = await Notices.start(harness)
    order = await place(harness, order_input())
    assert await stock(harness, network.loop, TEE) == (3, 2, 0)
    assert await decided_at(harness, order["id"]) == ("SHIP_STANDARD", ["ST-LOOP"])
    assert await notices.new() == ["order_confirmation"]

    before = await last_event_id(harness)
    changed = await done(
        harness,
        CHANGE,
        orderId=order["id"],
        lines=[{"sku": "TEE-001", "quantity": 1}, {"sku": "MUG-002", "quantity": 1}],
        reason="customer called",
    )
    view = changed["order"]
    assert view["status"] == "PENDING"
    assert view["subtotal"]["amount"] == "39.50"
    assert view["promised"]["earliest"] <= view["promised"]["latest"]
    assert [(line["product"]["sku"], line["quantity"]) for line in view["lines"]] == [
        ("TEE-001", 1),
        ("MUG-002", 1),
    ]
    old, new = view["fulfillmentOrders"]
    assert old["status"] == "CANCELLED"
    assert new["status"] == "OPEN" and new["location"]["code"] == "ST-LOOP"
    assert await stock(harness, network.loop, TEE) == (3, 1, 0)
    assert await stock(harness, network.loop, MUG) == (1, 1, 0)
    [event] = await events_since(harness, before, ["order.changed"])
    assert event.payload["reason"] == "customer called"
    assert event.payload["total"]["amount"] == view["total"]["amount"]

    again = await done(
        harness,
        CHANGE,
        orderId=order["id"],
        lines=[{"sku": "MUG-002", "quantity": 1}, {"sku": "TEE-001", "quantity": 1}],
    )
    assert again["replayed"] is True
    assert len(again["order"]["fulfillmentOrders"]) == 2

    # To a pickup at Evanston: the Loop's units go back, Evanston's are held.
    collect = await done(
        harness,
        CHANGE,
        orderId=order["id"],
        deliveryMethod="PICKUP",
        pickupLocationId=str(network.evanston),
        lines=[{"sku": "TEE-001", "quantity": 2}],
    )
    view = collect["order"]
    assert view["deliveryMethod"] == "PICKUP"
    assert view["pickupLocation"]["code"] == "ST-EVANSTON"
    assert view["shippingAddress"] is None
    assert [line["quantityCancelled"] for line in view["lines"]] == [0, 1]
    assert await stock(harness, network.loop, TEE) == (3, 0, 0)
    assert await stock(harness, network.loop, MUG) == (1, 0, 0)
    assert await stock(harness, network.evanston, TEE) == (8, 2, 0)
    # The order explains the plan in force, not the one made at capture.
    assert await decided_at(harness, order["id"]) == ("PICKUP", ["ST-EVANSTON"])
    timeline = (await read_order(harness, order["id"]))["timeline"]
    changes = [e for e in timeline if e["subjectType"] == "ORDER"]
    assert [e["reason"] for e in changes] == [
        "captured on WEB",
        "customer called",
        "changed inside the remorse window",
    ]
    assert changes[-1]["details"]["after"]["method"] == "PICKUP"
    assert len(await events_since(harness, before, ["order.changed"])) == 2
    assert await notices.new() == []  # changes answer with the new promise; no new message

    # Released, the changed order goes to Evanston with the changed cart, and is collected.
    before = await last_event_id(harness)
    await done(harness, RELEASE, orderId=order["id"])
    [released] = await events_since(harness, before, ["fulfillment.released"])
    assert released.payload["locationId"] == network.evanston
    assert [(p["sku"], p["quantity"]) for p in released.payload["pickList"]] == [("TEE-001", 2)]
    working = [
        fo
        for fo in (await read_order(harness, order["id"]))["fulfillmentOrders"]
        if fo["status"] == "RELEASED"
    ]
    assert [fo["location"]["code"] for fo in working] == ["ST-EVANSTON"]
    await pick_and_pack(harness, working[0]["id"], "TEE-001", 2)
    await done(harness, READY, fulfillmentOrderId=working[0]["id"])
    assert await notices.new() == ["ready_for_pickup"]
    assert "Evanston" in notices.mail.sent[-1].body
    assert await ledger_discrepancies(harness.services) == []


async def test_a_change_that_cannot_be_served_changes_nothing(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    order = await place(harness, order_input())
    unchanged = await snapshot(harness)
    unknown = await act(
        harness, CHANGE, orderId=order["id"], lines=[{"sku": "NOPE-9", "quantity": 1}]
    )
    assert codes(unknown) == ["UNKNOWN_SKU"]
    assert unknown["userErrors"][0]["field"] == ["input", "lines", "0", "sku"]
    too_many = await act(
        harness, CHANGE, orderId=order["id"], lines=[{"sku": "TEE-001", "quantity": 500}]
    )
    assert codes(too_many) == ["INSUFFICIENT_STOCK"]
    no_store = await act(harness, CHANGE, orderId=order["id"], deliveryMethod="PICKUP")
    assert no_store["userErrors"] and no_store["order"] is None
    assert await snapshot(harness) == unchanged
    view = await read_order(harness, order["id"])
    assert [fo["status"] for fo in view["fulfillmentOrders"]] == ["OPEN"]


async def test_changes_are_refused_after_the_window_and_after_release(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    late = await place(harness, order_input())
    released = await place(harness, order_input(customer={"email": "b@example.com"}))
    await done(harness, RELEASE, orderId=released["id"])
    unchanged = await snapshot(harness)
    refused = await act(
        harness, CHANGE, orderId=released["id"], lines=[{"sku": "TEE-001", "quantity": 1}]
    )
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert refused["userErrors"][0]["field"] == ["input", "orderId"]
    assert "RELEASED" in refused["userErrors"][0]["message"]
    harness.services.clock = lambda: NOW + timedelta(minutes=31)
    closed = await act(
        harness, CHANGE, orderId=late["id"], lines=[{"sku": "TEE-001", "quantity": 1}]
    )
    assert codes(closed) == ["INVALID_TRANSITION"]
    assert "window ended" in closed["userErrors"][0]["message"]
    assert await snapshot(harness) == unchanged


async def test_a_new_address_inside_the_window_re_promises_and_a_bad_one_is_refused(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    order = await place(harness, order_input())
    before = await last_event_id(harness)
    evanston = {
        "name": "Ada Lovelace",
        "line1": "1603 Orrington Ave",
        "city": "Evanston",
        "postalCode": "60201",
        "country": "US",
        "latitude": 42.0471,
        "longitude": -87.6806,
    }
    moved = await done(
        harness, CHANGE, orderId=order["id"], shippingAddress=evanston, reason="moved house"
    )
    view = moved["order"]
    assert view["status"] == "PENDING" and view["deliveryMethod"] == "SHIP_STANDARD"
    assert view["shippingAddress"] == {"city": "Evanston"}
    assert view["promised"]["earliest"] <= view["promised"]["latest"]
    assert [fo["status"] for fo in view["fulfillmentOrders"]].count("OPEN") == 1
    [event] = await events_since(harness, before, ["order.changed"])
    assert event.payload["reason"] == "moved house"
    timeline = (await read_order(harness, order["id"]))["timeline"]
    [entry] = [e for e in timeline if e["subjectType"] == "ORDER" and e["reason"] == "moved house"]
    assert entry["details"]["before"]["address"]["city"] == "Chicago"
    assert entry["details"]["after"]["address"]["city"] == "Evanston"

    unchanged = await snapshot(harness)
    nowhere = await act(
        harness,
        CHANGE,
        orderId=order["id"],
        shippingAddress={**evanston, "latitude": 95.0},
    )
    assert codes(nowhere) == ["INVALID_COORDINATES"]
    assert nowhere["userErrors"][0]["field"] == ["input", "shippingAddress", "latitude"]
    assert nowhere["order"] is None
    assert await snapshot(harness) == unchanged
    assert await ledger_discrepancies(harness.services) == []
