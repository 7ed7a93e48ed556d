"""Same-day delivery end to end: captured in the morning, released, worked at the store,
handed to a local courier, tracked out for delivery and delivered the same day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from omnigraph import testing
from omnigraph.settings import Settings
from omnigraph.testing import Harness
from tests.factories import Network, build_network, ledger_discrepancies
from tests.lifecycle import (
    ACCEPT,
    PACK,
    RELEASE,
    SCAN,
    SHIP,
    TRACK,
    act,
    codes,
    done,
    events_since,
    last_event_id,
    place,
    read_order,
    stock,
)
from tests.test_api_orders import order_input
from tests.test_notifications import FakeMessenger, MessengerPlugin

# Monday 15:00 UTC is 09:00 in Chicago: before the Loop store's same-day cut-off.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TEE = 1
PROMISED = """
query($id: ID!) { node(id: $id) { ... on Order {
  deliveryMethod shipBy promised { earliest latest }
} } }
"""


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[tuple[Harness, Network, FakeMessenger]]:
    mail = FakeMessenger()
    plugins = [("fake_messaging", MessengerPlugin([mail]))]
    async with testing.harness(settings, migrate=False, plugins=plugins) as harness:
        harness.services.clock = lambda: NOW
        network = await build_network(harness.services)
        await harness.app.state.dispatcher.run_once()  # the notifiers start from now
        yield harness, network, mail


async def sent(harness: Harness, mail: FakeMessenger) -> list[str]:
    """Subjects of every e-mail so far, once the outbox has been dispatched."""
    await harness.app.state.dispatcher.run_once()
    return [message.subject or "" for message in mail.sent]


async def test_a_same_day_order_is_worked_couriered_and_delivered_today(
    shop: tuple[Harness, Network, FakeMessenger],
) -> None:
    harness, network, mail = shop
    start = await last_event_id(harness)
    order = await place(
        harness,
        order_input(deliveryMethod="SAME_DAY", lines=[{"sku": "TEE-001", "quantity": 2}]),
    )
    number = order["number"]
    assert order["status"] == "PENDING"
    [fo] = order["fulfillmentOrders"]
    assert (fo["kind"], fo["status"], fo["location"]["code"]) == ("SHIP", "OPEN", "ST-LOOP")
    assert await stock(harness, network.loop, TEE) == (3, 2, 0)
    view = (await harness.graphql(PROMISED, {"id": order["id"]}))["node"]
    assert view["deliveryMethod"] == "SAME_DAY"
    assert view["promised"] == {"earliest": "2026-11-23", "latest": "2026-11-23"}
    # The courier must leave today, after capture.
    assert NOW < datetime.fromisoformat(view["shipBy"]) < NOW + timedelta(hours=12)
    [confirmation] = await sent(harness, mail)
    assert number in confirmation

    released = await done(harness, RELEASE, orderId=order["id"])
    assert released["order"]["status"] == "RELEASED"
    accepted = await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    assert accepted["fulfillmentOrder"]["status"] == "ACCEPTED"

    # Shipping before anything is packed is refused and changes nothing.
    early = await act(harness, SHIP, fulfillmentOrderId=fo["id"])
    assert codes(early) == ["INVALID_TRANSITION"]

    scanned = await done(
        harness, SCAN, fulfillmentOrderId=fo["id"], barcode="4006381333931", quantity=2
    )
    assert scanned["fulfillmentOrder"]["status"] == "PICKING"
    assert scanned["order"]["status"] == "IN_PROGRESS"
    assert [row["remaining"] for row in scanned["fulfillmentOrder"]["pickList"]] == [0]
    packed = await done(
        harness,
        PACK,
        fulfillmentOrderId=fo["id"],
        packages=[{"lines": [{"lineNumber": 1, "quantity": 2}]}],
    )
    assert packed["fulfillmentOrder"]["status"] == "PACKED"
    assert await stock(harness, network.loop, TEE) == (3, 2, 0)

    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    [shipment] = shipped["shipments"]
    assert shipped["fulfillmentOrder"]["status"] == "SHIPPED"
    assert shipped["order"]["status"] == "FULFILLED"
    assert (shipment["service"], shipment["status"]) == ("LOCAL_COURIER", "LABEL_CREATED")
    assert await stock(harness, network.loop, TEE) == (1, 0, 0)
    tracking = shipment["trackingNumber"]
    assert await sent(harness, mail) == [confirmation, f"Your order {number} is on its way"]
    assert tracking in mail.sent[-1].body

    out = await done(
        harness,
        TRACK,
        trackingNumber=tracking,
        status="OUT_FOR_DELIVERY",
        occurredAt="2026-11-23T17:10:00+00:00",
    )
    assert out["shipment"]["status"] == "OUT_FOR_DELIVERY"
    assert out["order"]["status"] == "FULFILLED"
    assert (await sent(harness, mail))[-1] == f"Your order {number} is out for delivery"
    delivered = await done(
        harness,
        TRACK,
        trackingNumber=tracking,
        status="DELIVERED",
        occurredAt="2026-11-23T17:55:00+00:00",
    )
    assert delivered["shipment"]["status"] == "DELIVERED"
    assert delivered["order"]["status"] == "COMPLETED"
    # The courier's update again is a replay: nothing moves twice.
    replay = await done(
        harness,
        TRACK,
        trackingNumber=tracking,
        status="DELIVERED",
        occurredAt="2026-11-23T17:55:00+00:00",
    )
    assert replay["replayed"] is True

    final = await read_order(harness, order["id"])
    assert final["fulfillmentOrders"][0]["status"] == "DELIVERED"
    assert await stock(harness, network.loop, TEE) == (1, 0, 0)
    order_steps = [
        (e["fromStatus"], e["toStatus"])
        for e in final["timeline"]
        if e["subjectType"] == "ORDER" and e["fromStatus"] is not None
    ]
    assert order_steps == [
        ("PENDING", "CONFIRMED"),
        ("CONFIRMED", "RELEASED"),
        ("RELEASED", "IN_PROGRESS"),
        ("IN_PROGRESS", "FULFILLED"),
        ("FULFILLED", "COMPLETED"),
    ]
    topics = [e.topic for e in await events_since(harness, start)]
    for topic in ("order.created", "fulfillment.released", "shipment.created"):
        assert topics.count(topic) == 1, topic
    assert topics.count("shipment.status_changed") >= 2
    # One message per step, none sent twice for the replayed update.
    assert await sent(harness, mail) == [
        confirmation,
        f"Your order {number} is on its way",
        f"Your order {number} is out for delivery",
        f"Your order {number} was delivered",
    ]
    assert await ledger_discrepancies(harness.services) == []
