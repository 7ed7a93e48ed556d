"""Exceptions in the store: a rejection and short picks re-routed, or backordered."""

from __future__ import annotations

import asyncio

from omnigraph.api.ids import decode_id
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.services import picking
from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
from tests.lifecycle import (
    ACCEPT,
    REJECT,
    RELEASE,
    SCAN,
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
    pack_one_box,
    pick_and_pack,
    place,
    place_pickup,
    read_order,
    snapshot,
    stock,
)
from tests.test_api_orders import order_input

TEE, LAMP = 1, 3
CODES = {"DC-JOLIET": 1, "ST-LOOP": 2, "ST-EVANSTON": 3, "ST-OAKPARK": 4}


async def released_tee_order(harness: Harness, quantity: int = 2) -> dict[str, object]:
    order = await place(harness, order_input(lines=[{"sku": "TEE-001", "quantity": quantity}]))
    await done(harness, RELEASE, orderId=order["id"])
    return await read_order(harness, order["id"])


async def test_a_rejected_fulfilment_order_is_re_sourced_elsewhere(
    harness: Harness, network: Network
) -> None:
    notices = await Notices.start(harness)
    order = await released_tee_order(harness)
    assert await notices.new() == ["order_confirmation"]
    [fo] = order["fulfillmentOrders"]
    assert fo["location"]["code"] == "ST-LOOP"
    assert await stock(harness, network.loop, TEE) == (3, 2, 0)
    assert await decided_at(harness, order["id"]) == ("SHIP_STANDARD", ["ST-LOOP"])

    before = await last_event_id(harness)
    rejected = await done(
        harness, REJECT, fulfillmentOrderId=fo["id"], reason="register queue too long"
    )
    assert rejected["fulfillmentOrder"]["status"] == "REJECTED"
    [moved] = rejected["rerouted"]
    assert moved["status"] == "RELEASED"
    assert moved["location"]["code"] != "ST-LOOP"
    assert moved["lines"] == [{"quantity": 2, "product": {"sku": "TEE-001"}}]
    assert rejected["order"]["status"] == "RELEASED"
    assert await stock(harness, network.loop, TEE) == (3, 0, 0)
    elsewhere = CODES[moved["location"]["code"]]
    assert (await stock(harness, elsewhere, TEE))[1] == 2
    # The order's explanation now says where the units went instead.
    assert await decided_at(harness, order["id"]) == ("SHIP_STANDARD", [moved["location"]["code"]])
    topics = [e.topic for e in await events_since(harness, before)]
    assert "fulfillment.created" in topics and "fulfillment.released" in topics
    assert topics.count("fulfillment.status_changed") == 2  # REJECTED, and the new RELEASED
    assert await notices.new() == []  # the customer's parcel is simply sent from elsewhere

    again = await done(harness, REJECT, fulfillmentOrderId=fo["id"])
    assert again["replayed"] is True and again["rerouted"] == []
    assert (await stock(harness, elsewhere, TEE))[1] == 2

    view = await read_order(harness, order["id"])
    rejection = next(e for e in view["timeline"] if e["toStatus"] == "REJECTED")
    assert rejection["reason"] == "rejected by the location: register queue too long"
    assert rejection["fromStatus"] == "RELEASED"
    # The new location works the order to the end.
    held = await stock(harness, elsewhere, TEE)
    await pick_and_pack(harness, moved["id"], "TEE-001", 2)
    shipped = await done(harness, SHIP, fulfillmentOrderId=moved["id"])
    assert shipped["order"]["status"] == "FULFILLED"
    assert await stock(harness, elsewhere, TEE) == (held[0] - 2, held[1] - 2, 0)
    assert await stock(harness, network.loop, TEE) == (3, 0, 0)
    assert await notices.new() == ["shipped"]
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


async def test_a_rejected_collection_order_is_backordered(
    harness: Harness, network: Network
) -> None:
    order = await place_pickup(harness, network.oak_park)
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    before = await last_event_id(harness)
    rejected = await done(harness, REJECT, fulfillmentOrderId=fo["id"])
    assert rejected["rerouted"] == []
    assert await stock(harness, network.oak_park, LAMP) == (2, 0, 0)
    view = await read_order(harness, order["id"])
    assert view["backorders"] == [
        {"lineNumber": 1, "quantity": 2, "reason": "rejected by the location"}
    ]
    [backordered] = await events_since(harness, before, ["order.backordered"])
    assert backordered.payload["quantity"] == 2


async def test_a_short_pick_adjusts_stock_and_re_routes_the_missing_units(
    harness: Harness, network: Network
) -> None:
    notices = await Notices.start(harness)
    order = await released_tee_order(harness)
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001")
    assert await notices.new() == ["order_confirmation"]

    unchanged = await snapshot(harness)
    too_many = await act(
        harness, SHORT, fulfillmentOrderId=fo["id"], lineNumber=1, quantity=2, reason="MISSING"
    )
    assert codes(too_many) == ["INVALID_QUANTITY"]
    no_line = await act(
        harness, SHORT, fulfillmentOrderId=fo["id"], lineNumber=5, quantity=1, reason="MISSING"
    )
    assert codes(no_line) == ["NOT_FOUND"]
    assert no_line["userErrors"][0]["field"] == ["input", "lineNumber"]
    assert await snapshot(harness) == unchanged

    before = await last_event_id(harness)
    short = await done(
        harness, SHORT, fulfillmentOrderId=fo["id"], lineNumber=1, quantity=1, reason="MISSING"
    )
    assert short["order"]["status"] == "IN_PROGRESS"
    # The missing unit left the Loop's stock and its fulfilment order.
    assert await stock(harness, network.loop, TEE) == (2, 1, 0)
    assert short["fulfillmentOrder"]["pickList"][0] == {
        "lineNumber": 1,
        "sku": "TEE-001",
        "barcode": "4006381333931",
        "bin": None,
        "quantity": 1,
        "picked": 1,
        "remaining": 0,
    }
    [moved] = short["rerouted"]
    assert moved["location"]["code"] != "ST-LOOP"
    assert moved["lines"] == [{"quantity": 1, "product": {"sku": "TEE-001"}}]
    assert (await stock(harness, CODES[moved["location"]["code"]], TEE))[1] == 1
    # The order explains where the re-sourced unit went.
    assert await decided_at(harness, order["id"]) == ("SHIP_STANDARD", [moved["location"]["code"]])
    events = await events_since(harness, before)
    [created] = [e for e in events if e.topic == "fulfillment.created"]
    [released] = [e for e in events if e.topic == "fulfillment.released"]
    assert created.payload["fulfillmentOrderId"] == released.payload["fulfillmentOrderId"]
    assert [line["quantity"] for line in released.payload["pickList"]] == [1]
    assert "order.backordered" not in [e.topic for e in events]
    assert await notices.new() == []

    # Both parcels leave and arrive: the order completes, each parcel told once.
    await pack_one_box(harness, fo["id"], 1)
    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    assert shipped["order"]["status"] == "PARTIALLY_FULFILLED"
    assert await stock(harness, network.loop, TEE) == (1, 0, 0)
    assert await notices.new() == ["shipped"]
    elsewhere = CODES[moved["location"]["code"]]
    held = await stock(harness, elsewhere, TEE)
    await pick_and_pack(harness, moved["id"], "TEE-001")
    rest = await done(harness, SHIP, fulfillmentOrderId=moved["id"])
    assert rest["order"]["status"] == "FULFILLED"
    assert await stock(harness, elsewhere, TEE) == (held[0] - 1, held[1] - 1, 0)
    assert await notices.new() == ["shipped"]
    for parcel in (shipped, rest):
        delivered = await done(
            harness,
            TRACK,
            trackingNumber=parcel["shipments"][0]["trackingNumber"],
            status="DELIVERED",
            occurredAt="2026-11-25T12:00:00+00:00",
        )
    assert delivered["order"]["status"] == "COMPLETED"
    assert await notices.new() == ["delivered", "delivered"]
    assert await ledger_discrepancies(harness.services) == []


async def test_damaged_units_move_to_damaged_and_a_fully_short_order_is_cancelled(
    harness: Harness, network: Network
) -> None:
    order = await released_tee_order(harness, quantity=1)
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    short = await done(
        harness, SHORT, fulfillmentOrderId=fo["id"], lineNumber=1, quantity=1, reason="DAMAGED"
    )
    assert short["fulfillmentOrder"]["status"] == "CANCELLED"
    assert short["fulfillmentOrder"]["pickList"] == []
    assert await stock(harness, network.loop, TEE) == (3, 0, 1)
    [moved] = short["rerouted"]
    assert moved["status"] == "RELEASED"
    # The pick had started, so the order stays IN_PROGRESS: statuses never move back.
    assert short["order"]["status"] == "IN_PROGRESS"


async def test_a_short_pick_no_location_can_cover_is_backordered(
    harness: Harness, network: Network
) -> None:
    order = await place_pickup(harness, network.oak_park)
    await done(harness, RELEASE, orderId=order["id"])
    # Nobody else has lamps to send to the store.
    await harness.graphql(
        """mutation($i: AdjustInventoryInput!) {
          adjustInventory(input: $i) { userErrors { code } } }""",
        {
            "i": {
                "locationId": str(network.dc),
                "sku": "LAMP-003",
                "delta": -10,
                "reason": "ADJUSTMENT",
            }
        },
    )
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    short = await done(
        harness, SHORT, fulfillmentOrderId=fo["id"], lineNumber=1, quantity=1, reason="MISSING"
    )
    assert short["rerouted"] == []
    assert await stock(harness, network.oak_park, LAMP) == (1, 1, 0)
    view = await read_order(harness, order["id"])
    assert [(b["lineNumber"], b["quantity"]) for b in view["backorders"]] == [(1, 1)]
    assert view["fulfillmentOrders"][0]["lines"][0]["quantity"] == 1


async def test_cancelling_a_released_order_gives_its_stock_back_and_is_on_the_timeline(
    harness: Harness, network: Network
) -> None:
    order = await released_tee_order(harness)
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001")
    cancelled = await harness.graphql(
        """mutation($input: CancelOrderInput!) {
          cancelOrder(input: $input) { order { status } userErrors { code } } }""",
        {"input": {"orderId": order["id"], "reason": "customer changed their mind"}},
    )
    assert cancelled["cancelOrder"]["order"]["status"] == "CANCELLED"
    assert await stock(harness, network.loop, TEE) == (3, 0, 0)
    view = await read_order(harness, order["id"])
    tail = [(e["subjectType"], e["fromStatus"], e["toStatus"]) for e in view["timeline"][-2:]]
    assert tail == [
        ("FULFILLMENT_ORDER", "PICKING", "CANCELLED"),
        ("ORDER", "IN_PROGRESS", "CANCELLED"),
    ]
    assert view["timeline"][-1]["reason"] == "customer changed their mind"
    refused = await act(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001")
    assert codes(refused) == ["INVALID_TRANSITION"]


async def test_two_pickers_racing_for_the_last_unit_pick_it_once(
    harness: Harness, network: Network
) -> None:
    order = await released_tee_order(harness, quantity=1)
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    fo_id = decode_id(fo["id"], "FulfillmentOrder", ())
    results = await asyncio.gather(
        *(picking.scan_item(harness.services, fo_id, "TEE-001") for _ in range(3)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 2 and all(r.code is ErrorCode.OVER_PICK for r in refused)
    view = await read_order(harness, order["id"])
    assert view["fulfillmentOrders"][0]["pickList"][0]["picked"] == 1
