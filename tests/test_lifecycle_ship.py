"""Ship to home with a split: release, accept, scan, pack, ship, track, deliver, complete."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from omnigraph.api.ids import decode_id
from omnigraph.testing import Harness
from tests.factories import Network, build_network, ledger_discrepancies
from tests.lifecycle import (
    ACCEPT,
    PACK,
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

TEE, MUG, LAMP = 1, 2, 3
BARCODE = {"TEE-001": "4006381333931", "MUG-002": "4006381333948", "LAMP-003": "4006381333955"}
# No location has both mugs and lamps, so an order for one of each is split in two.
SPLIT_STOCK = {
    (1, "TEE-001"): 100,
    (1, "MUG-002"): 40,
    (2, "TEE-001"): 3,
    (2, "MUG-002"): 1,
    (3, "TEE-001"): 8,
    (3, "LAMP-003"): 2,
    (4, "LAMP-003"): 2,
}
PRODUCT = {"TEE-001": TEE, "MUG-002": MUG, "LAMP-003": LAMP}


@pytest.fixture
async def split_network(harness: Harness) -> Network:
    return await build_network(harness.services, SPLIT_STOCK)


def location_id(fo: dict[str, object]) -> int:
    location = fo["location"]
    assert isinstance(location, dict)
    return decode_id(str(location["id"]), "Location", ("location",))


async def pick_all(harness: Harness, fo: dict[str, object]) -> dict[str, object]:
    payload = await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    assert payload["fulfillmentOrder"]["status"] == "ACCEPTED"
    for line in payload["fulfillmentOrder"]["pickList"]:
        payload = await done(
            harness,
            SCAN,
            fulfillmentOrderId=fo["id"],
            barcode=BARCODE[line["sku"]],
            quantity=line["quantity"],
            scanId=f"scan-{fo['id']}-{line['lineNumber']}",
        )
    assert payload["fulfillmentOrder"]["status"] == "PICKING"
    assert all(line["remaining"] == 0 for line in payload["fulfillmentOrder"]["pickList"])
    return payload


async def test_a_split_order_is_released_picked_shipped_tracked_and_completed(
    harness: Harness, split_network: Network
) -> None:
    notices = await Notices.start(harness)
    lines = [{"sku": "MUG-002", "quantity": 1}, {"sku": "LAMP-003", "quantity": 1}]
    order = await place(harness, order_input(lines=lines))
    assert order["status"] == "PENDING"
    assert await notices.new() == ["order_confirmation"]
    fos = order["fulfillmentOrders"]
    assert len(fos) == 2 and len({fo["location"]["code"] for fo in fos}) == 2
    assert [fo["status"] for fo in fos] == ["OPEN", "OPEN"]

    # Released on request inside the remorse window: both steps are on the timeline.
    before = await last_event_id(harness)
    released = await done(harness, RELEASE, orderId=order["id"], reason="customer asked")
    assert released["order"]["status"] == "RELEASED"
    topics = [e.topic for e in await events_since(harness, before)]
    assert topics.count("order.status_changed") == 2
    assert topics.count("fulfillment.status_changed") == 2
    assert topics.count("fulfillment.released") == 2
    pick_lists = [
        e.payload["pickList"] for e in await events_since(harness, before, ["fulfillment.released"])
    ]
    assert sorted(line["sku"] for pick in pick_lists for line in pick) == ["LAMP-003", "MUG-002"]
    again = await done(harness, RELEASE, orderId=order["id"])
    assert again["replayed"] is True
    assert await notices.new() == []

    view = await read_order(harness, order["id"])
    order_steps = [
        (e["fromStatus"], e["toStatus"], e["reason"])
        for e in view["timeline"]
        if e["subjectType"] == "ORDER"
    ]
    assert order_steps == [
        (None, "PENDING", "captured on WEB"),
        ("PENDING", "CONFIRMED", "customer asked"),
        ("CONFIRMED", "RELEASED", "customer asked"),
    ]
    # Captured by the channel; every later step by the API caller.
    assert all(e["actor"] == "api" for e in view["timeline"] if e["fromStatus"] is not None)

    first, second = view["fulfillmentOrders"]
    loc1, loc2 = location_id(first), location_id(second)
    sku1 = first["lines"][0]["product"]["sku"]
    before_stock = await stock(harness, loc1, PRODUCT[sku1])

    # First parcel: picked, packed and shipped; the order is partly fulfilled.
    await pick_all(harness, first)
    packed = await done(
        harness,
        PACK,
        fulfillmentOrderId=first["id"],
        packages=[{"lines": [{"lineNumber": first["lines"][0]["lineNumber"], "quantity": 1}]}],
    )
    assert packed["fulfillmentOrder"]["status"] == "PACKED"
    assert packed["order"]["status"] == "IN_PROGRESS"
    assert await notices.new() == []
    before = await last_event_id(harness)
    shipped = await done(harness, SHIP, fulfillmentOrderId=first["id"])
    assert shipped["fulfillmentOrder"]["status"] == "SHIPPED"
    assert shipped["order"]["status"] == "PARTIALLY_FULFILLED"
    [shipment] = shipped["shipments"]
    assert shipment["status"] == "LABEL_CREATED"
    assert shipment["carrier"] == "tablerate" and shipment["service"] == "GROUND"
    assert shipment["trackingNumber"]
    assert packed["fulfillmentOrder"]["packages"][0]["shipmentId"] is None
    on_hand, committed, _ = await stock(harness, loc1, PRODUCT[sku1])
    assert (on_hand, committed) == (before_stock[0] - 1, before_stock[1] - 1)
    [created] = await events_since(harness, before, ["shipment.created"])
    assert created.payload["trackingNumber"] == shipment["trackingNumber"]
    topics = [e.topic for e in await events_since(harness, before)]
    assert topics.count("order.status_changed") == 1  # IN_PROGRESS -> PARTIALLY_FULFILLED
    assert await notices.new() == ["shipped"]
    assert shipment["trackingNumber"] in notices.mail.sent[-1].body
    # Shipping again buys nothing new and tells nobody.
    replay = await done(harness, SHIP, fulfillmentOrderId=first["id"])
    assert replay["replayed"] is True
    assert [s["trackingNumber"] for s in replay["shipments"]] == [shipment["trackingNumber"]]
    assert await notices.new() == []

    loc2 = location_id(second)
    sku2 = second["lines"][0]["product"]["sku"]
    second_stock = await stock(harness, loc2, PRODUCT[sku2])
    await pick_all(harness, second)
    await done(
        harness,
        PACK,
        fulfillmentOrderId=second["id"],
        packages=[{"lines": [{"lineNumber": second["lines"][0]["lineNumber"], "quantity": 1}]}],
    )
    last = await done(harness, SHIP, fulfillmentOrderId=second["id"])
    assert last["order"]["status"] == "FULFILLED"
    on_hand, committed, _ = await stock(harness, loc2, PRODUCT[sku2])
    assert (on_hand, committed) == (second_stock[0] - 1, second_stock[1] - 1)
    assert await notices.new() == ["shipped"]

    # Tracking moves the parcels; the last delivery completes the order.
    track1 = shipment["trackingNumber"]
    track2 = last["shipments"][0]["trackingNumber"]
    when = datetime(2026, 11, 23, 9, tzinfo=UTC)
    before = await last_event_id(harness)
    step = await done(
        harness, TRACK, trackingNumber=track1, status="IN_TRANSIT", occurredAt=when.isoformat()
    )
    assert step["shipment"]["status"] == "IN_TRANSIT"
    [moved] = await events_since(harness, before, ["shipment.status_changed"])
    assert (moved.payload["from"], moved.payload["to"]) == ("LABEL_CREATED", "IN_TRANSIT")
    assert await notices.new() == []
    repeat = await done(
        harness, TRACK, trackingNumber=track1, status="IN_TRANSIT", occurredAt=when.isoformat()
    )
    assert repeat["replayed"] is True
    assert len(repeat["shipment"]["trackingEvents"]) == 1
    for status, hour, told in (
        ("OUT_FOR_DELIVERY", 10, "out_for_delivery"),
        ("DELIVERED", 12, "delivered"),
    ):
        step = await done(
            harness,
            TRACK,
            trackingNumber=track1,
            status=status,
            occurredAt=when.replace(hour=hour).isoformat(),
        )
        assert await notices.new() == [told]
    assert step["order"]["status"] == "FULFILLED"
    refused = await act(
        harness,
        TRACK,
        trackingNumber=track1,
        status="IN_TRANSIT",
        occurredAt=when.replace(hour=13).isoformat(),
    )
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert "DELIVERED" in refused["userErrors"][0]["message"]
    final = await done(
        harness,
        TRACK,
        trackingNumber=track2,
        status="DELIVERED",
        occurredAt=when.replace(hour=15).isoformat(),
    )
    assert final["order"]["status"] == "COMPLETED"
    assert await notices.new() == ["delivered"]
    assert track2 in notices.mail.sent[-1].body

    view = await read_order(harness, order["id"])
    assert [fo["status"] for fo in view["fulfillmentOrders"]] == ["DELIVERED", "DELIVERED"]
    assert [s["status"] for s in view["shipments"]] == ["DELIVERED", "DELIVERED"]
    order_path = [e["toStatus"] for e in view["timeline"] if e["subjectType"] == "ORDER"]
    assert order_path == [
        "PENDING",
        "CONFIRMED",
        "RELEASED",
        "IN_PROGRESS",
        "PARTIALLY_FULFILLED",
        "FULFILLED",
        "COMPLETED",
    ]
    shipment_path = [
        (e["fromStatus"], e["toStatus"])
        for e in view["timeline"]
        if e["subjectType"] == "SHIPMENT"
        and int(e["subjectId"]) == decode_id(view["shipments"][0]["id"], "Shipment", ())
    ]
    assert shipment_path == [
        (None, "LABEL_CREATED"),
        ("LABEL_CREATED", "IN_TRANSIT"),
        ("IN_TRANSIT", "OUT_FOR_DELIVERY"),
        ("OUT_FOR_DELIVERY", "DELIVERED"),
    ]
    assert await ledger_discrepancies(harness.services) == []


async def test_store_work_refuses_illegal_steps_and_changes_nothing(
    harness: Harness, split_network: Network
) -> None:
    order = await place(harness, order_input(lines=[{"sku": "TEE-001", "quantity": 2}]))
    [fo] = order["fulfillmentOrders"]
    # Not released yet: nobody can accept it.
    before = await snapshot(harness)
    refused = await act(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert refused["userErrors"][0]["field"] == ["input", "fulfillmentOrderId"]
    assert "OPEN" in refused["userErrors"][0]["message"]
    assert await snapshot(harness) == before

    await done(harness, RELEASE, orderId=order["id"])
    # Scanning before accepting is refused, naming the state.
    refused = await act(harness, SCAN, fulfillmentOrderId=fo["id"], barcode=BARCODE["TEE-001"])
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert "RELEASED" in refused["userErrors"][0]["message"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])

    before = await snapshot(harness)
    wrong = await act(harness, SCAN, fulfillmentOrderId=fo["id"], barcode=BARCODE["MUG-002"])
    assert codes(wrong) == ["WRONG_ITEM"]
    assert wrong["userErrors"][0]["field"] == ["input", "barcode"]
    extra = await act(
        harness, SCAN, fulfillmentOrderId=fo["id"], barcode=BARCODE["TEE-001"], quantity=3
    )
    assert codes(extra) == ["OVER_PICK"]
    early = await act(
        harness,
        PACK,
        fulfillmentOrderId=fo["id"],
        packages=[{"lines": [{"lineNumber": 1, "quantity": 2}]}],
    )
    assert codes(early) == ["INVALID_TRANSITION"]
    assert await snapshot(harness) == before
    view = await read_order(harness, order["id"])
    assert view["fulfillmentOrders"][0]["status"] == "ACCEPTED"

    # A scan resent with its scan id counts once; the same id for another scan is refused.
    first = await done(
        harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001", scanId="gun-7-0001"
    )
    resent = await done(
        harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001", scanId="gun-7-0001"
    )
    assert resent["replayed"] is True
    assert resent["fulfillmentOrder"]["pickList"][0]["picked"] == 1
    assert first["order"]["status"] == "IN_PROGRESS"
    conflict = await act(
        harness,
        SCAN,
        fulfillmentOrderId=fo["id"],
        barcode="TEE-001",
        quantity=2,
        scanId="gun-7-0001",
    )
    assert codes(conflict) == ["IDEMPOTENCY_CONFLICT"]
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode=BARCODE["TEE-001"])

    before = await snapshot(harness)
    mismatch = await act(
        harness,
        PACK,
        fulfillmentOrderId=fo["id"],
        packages=[{"lines": [{"lineNumber": 1, "quantity": 1}]}],
    )
    assert codes(mismatch) == ["PACKING_MISMATCH"]
    unknown = await act(
        harness,
        PACK,
        fulfillmentOrderId=fo["id"],
        packages=[{"lines": [{"lineNumber": 9, "quantity": 2}]}],
    )
    assert codes(unknown) == ["PACKING_MISMATCH"]
    assert await snapshot(harness) == before

    # Two packages with one tee each; shipping makes one shipment per package.
    packed = await done(
        harness,
        PACK,
        fulfillmentOrderId=fo["id"],
        packages=[
            {"lines": [{"lineNumber": 1, "quantity": 1}], "weightGrams": 350},
            {"lines": [{"lineNumber": 1, "quantity": 1}]},
        ],
    )
    assert [p["weightGrams"] for p in packed["fulfillmentOrder"]["packages"]] == [350, 200]
    repacked = await done(
        harness,
        PACK,
        fulfillmentOrderId=fo["id"],
        packages=[
            {"lines": [{"lineNumber": 1, "quantity": 1}]},
            {"lines": [{"lineNumber": 1, "quantity": 1}]},
        ],
    )
    assert repacked["replayed"] is True
    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    assert len({s["trackingNumber"] for s in shipped["shipments"]}) == 2
    assert shipped["order"]["status"] == "FULFILLED"
    # A shipped fulfilment order cannot be cancelled any more, nor its order.
    before = await snapshot(harness)
    cancel = await harness.graphql(
        """mutation($input: CancelOrderInput!) {
          cancelOrder(input: $input) { userErrors { code message } } }""",
        {"input": {"orderId": order["id"]}},
    )
    assert [e["code"] for e in cancel["cancelOrder"]["userErrors"]] == ["INVALID_TRANSITION"]
    assert await snapshot(harness) == before


async def test_a_tracking_update_for_an_unknown_parcel_is_a_user_error(
    harness: Harness, split_network: Network
) -> None:
    refused = await act(
        harness,
        TRACK,
        trackingNumber="NOPE",
        status="DELIVERED",
        occurredAt="2026-11-23T09:00:00+00:00",
    )
    assert codes(refused) == ["NOT_FOUND"]
    assert refused["userErrors"][0]["field"] == ["input", "trackingNumber"]


async def test_a_carrier_exception_is_recorded_and_delivery_still_completes(
    harness: Harness, split_network: Network
) -> None:
    order = await place(harness, order_input(lines=[{"sku": "TEE-001", "quantity": 1}]))
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await pick_all(harness, fo)
    await pack_one_box(harness, fo["id"], 1)
    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    number = shipped["shipments"][0]["trackingNumber"]
    before = await last_event_id(harness)
    problem = await done(
        harness,
        TRACK,
        trackingNumber=number,
        status="EXCEPTION",
        occurredAt="2026-11-23T09:00:00-05:00",
        description="address not found",
        location="Chicago, IL",
    )
    assert problem["shipment"]["status"] == "EXCEPTION"
    assert problem["order"]["status"] == "FULFILLED"
    [changed] = await events_since(harness, before, ["shipment.status_changed"])
    assert (changed.payload["from"], changed.payload["to"]) == ("LABEL_CREATED", "EXCEPTION")
    assert changed.payload["reason"] == "address not found"
    assert changed.payload["location"] == "Chicago, IL"
    naive = await act(
        harness, TRACK, trackingNumber=number, status="DELIVERED", occurredAt="2026-11-23T12:00:00"
    )
    assert codes(naive) == ["INVALID"]
    delivered = await done(
        harness,
        TRACK,
        trackingNumber=number,
        status="DELIVERED",
        occurredAt="2026-11-23T12:00:00-05:00",
    )
    assert delivered["order"]["status"] == "COMPLETED"
    events = delivered["shipment"]["trackingEvents"]
    assert [e["status"] for e in events] == ["EXCEPTION", "DELIVERED"]
