"""Buy online, pick up in store, when the store lacks some units: capture plans a transfer
from another location, the promised ready-by waits for it, and the pickup goes ahead once
the store has received it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from omnigraph import testing
from omnigraph.api.ids import decode_id
from omnigraph.domain.sla import end_of
from omnigraph.settings import Settings
from omnigraph.testing import Harness
from tests.factories import Network, build_network, ledger_discrepancies
from tests.lifecycle import (
    ACCEPT,
    HAND_OVER,
    READY,
    RELEASE,
    SHIP,
    SHORT,
    TRACK,
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
)
from tests.test_api_orders import CREATE, order_input
from tests.test_lifecycle_cancellation import CANCEL_LINES
from tests.test_lifecycle_transfers import RECEIVE, TRANSFER, levels
from tests.test_notifications import FakeMessenger, MessengerPlugin

# A Monday afternoon: the stores are open and a ground parcel takes business days.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
PROMISED = "query($id: ID!) { node(id: $id) { ... on Order { promised { earliest latest } } } }"
LATE = "{ lateOrders { order { number } milestone } }"
CHANGE = """
mutation($input: ChangeOrderInput!) {
  changeOrder(input: $input) {
    order {
      promised { earliest latest }
      fulfillmentOrders { kind status location { code } lines { quantity } }
    }
    replayed
    userErrors { field code message }
  }
}
"""


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[tuple[Harness, Network, FakeMessenger]]:
    """The app with every built-in plugin and a fake e-mail messenger, on the test network."""
    mail = FakeMessenger()
    plugins = [("fake_messaging", MessengerPlugin([mail]))]
    async with testing.harness(settings, migrate=False, plugins=plugins) as harness:
        harness.services.clock = lambda: NOW
        network = await build_network(harness.services)
        await harness.app.state.dispatcher.run_once()  # the notifiers start from now
        yield harness, network, mail


def lamps_at_oak_park(quantity: int, **extra: Any) -> dict[str, Any]:
    return order_input(
        deliveryMethod="PICKUP",
        shippingAddress=None,
        pickupLocationId="4",
        lines=[{"sku": "LAMP-003", "quantity": quantity}],
        **extra,
    )


def fo_key(global_id: str) -> int:
    return decode_id(global_id, "FulfillmentOrder", ("id",))


async def subjects(harness: Harness, mail: FakeMessenger) -> list[str]:
    await harness.app.state.dispatcher.run_once()
    return [message.subject or "" for message in mail.sent]


async def test_a_pickup_short_at_its_store_is_captured_with_a_transfer_and_collected(
    shop: tuple[Harness, Network, FakeMessenger],
) -> None:
    harness, network, mail = shop
    start = await last_event_id(harness)
    # Oak Park holds 2 lamps; the customer wants 3. The DC sends the third.
    created = (await harness.graphql(CREATE, {"input": lamps_at_oak_park(3)}))["createOrder"]
    assert created["userErrors"] == []
    order = await read_order(harness, created["order"]["id"])
    number = order["number"]
    assert order["status"] == "PENDING"
    by_kind = {fo["kind"]: fo for fo in order["fulfillmentOrders"]}
    assert sorted(by_kind) == ["PICKUP", "TRANSFER"]
    pickup, transfer = by_kind["PICKUP"], by_kind["TRANSFER"]
    assert (pickup["location"]["code"], pickup["status"]) == ("ST-OAKPARK", "OPEN")
    assert [line["quantity"] for line in pickup["lines"]] == [2]
    assert (transfer["location"]["code"], transfer["status"]) == ("DC-JOLIET", "OPEN")
    assert [line["quantity"] for line in transfer["lines"]] == [1]
    assert await levels(harness, network.oak_park) == (2, 2, 0)
    assert await levels(harness, network.dc) == (10, 1, 0)

    details = (await harness.graphql(TRANSFER, {"id": transfer["id"]}))["node"]
    assert details["transfer"]["destination"]["code"] == "ST-OAKPARK"
    assert details["transfer"]["receivedAt"] is None
    arrival = date.fromisoformat(details["transfer"]["expectedArrival"])
    assert arrival > NOW.date()  # a ground parcel, not a same-day pickup
    promised = (await harness.graphql(PROMISED, {"id": order["id"]}))["node"]["promised"]
    assert promised == {"earliest": arrival.isoformat(), "latest": arrival.isoformat()}

    entries = order["timeline"]
    [transfer_entry] = [
        e
        for e in entries
        if e["subjectType"] == "FULFILLMENT_ORDER" and e["details"].get("kind") == "TRANSFER"
    ]
    assert "transfer to ST-OAKPARK" in transfer_entry["reason"]
    assert any(
        f"a transfer reaches ST-OAKPARK by {arrival.isoformat()}" in (e["reason"] or "")
        for e in entries
    )
    method, where = await decided_at(harness, order["id"])
    assert (method, sorted(where)) == ("PICKUP", ["DC-JOLIET", "ST-OAKPARK"])

    events = await events_since(harness, start, ["order.created", "fulfillment.created"])
    [placed] = [e for e in events if e.topic == "order.created"]
    [moved] = placed.payload["transfers"]
    assert moved["fromLocationId"] == network.dc and moved["toLocationId"] == network.oak_park
    assert moved["expectedArrival"] == arrival.isoformat()
    kinds = sorted(e.payload["kind"] for e in events if e.topic == "fulfillment.created")
    assert kinds == ["PICKUP", "TRANSFER"]
    [confirmation] = await subjects(harness, mail)
    assert number in confirmation

    # The ready-by waits for the transfer: the end of the store's own pickup day passes
    # without a breach, the end of the arrival day would not.
    harness.services.clock = lambda: end_of(arrival) - timedelta(seconds=1)
    await done(harness, RELEASE, orderId=order["id"])
    await harness.app.state.sla_monitor.run_once()
    assert [row["milestone"] for row in (await harness.graphql(LATE))["lateOrders"]] == []
    harness.services.clock = lambda: NOW

    # The store stages its own two lamps at once; the customer is not told yet, and the
    # counter cannot hand them over: the third lamp is still on its way.
    sent_before = len(mail.sent)
    await pick_and_pack(harness, pickup["id"], "LAMP-003", 2)
    mark = await last_event_id(harness)
    staged = await done(harness, READY, fulfillmentOrderId=pickup["id"])
    assert staged["fulfillmentOrder"]["status"] == "READY_FOR_PICKUP"
    [waiting] = await events_since(harness, mark, ["fulfillment.status_changed"])
    assert waiting.payload["to"] == "READY_FOR_PICKUP"
    assert waiting.payload["waitingFor"] == [fo_key(transfer["id"])]
    assert "pickupCode" not in waiting.payload
    assert len(await subjects(harness, mail)) == sent_before
    before = await snapshot(harness)
    early = await act(
        harness,
        HAND_OVER,
        fulfillmentOrderId=pickup["id"],
        orderNumber=number,
        customerName="Ada Lovelace",
    )
    assert codes(early) == ["INVALID_TRANSITION"]
    assert early["userErrors"][0]["field"] == ["input", "fulfillmentOrderId"]
    assert await snapshot(harness) == before

    # The DC picks, packs and ships the transfer; the customer is not told about its parcel.
    await pick_and_pack(harness, transfer["id"], "LAMP-003", 1)
    shipped = await done(harness, SHIP, fulfillmentOrderId=transfer["id"])
    assert shipped["fulfillmentOrder"]["status"] == "SHIPPED"
    assert shipped["order"]["status"] == "IN_PROGRESS"
    assert await levels(harness, network.dc) == (9, 0, 0)
    assert await levels(harness, network.oak_park) == (2, 2, 1)
    await done(
        harness,
        TRACK,
        trackingNumber=shipped["shipments"][0]["trackingNumber"],
        status="DELIVERED",
        occurredAt="2026-11-25T10:00:00+00:00",
    )
    assert len(await subjects(harness, mail)) == sent_before

    # The store receives it: on hand there, held on a released pickup fulfilment order
    # whose pick list holds just the lamp that arrived.
    received = await done(harness, RECEIVE, fulfillmentOrderId=transfer["id"])
    assert received["fulfillmentOrder"]["status"] == "DELIVERED"
    [arrived] = received["rerouted"]
    assert (arrived["kind"], arrived["status"], arrived["location"]["code"]) == (
        "PICKUP",
        "RELEASED",
        "ST-OAKPARK",
    )
    assert await levels(harness, network.oak_park) == (3, 3, 0)
    assert len(await subjects(harness, mail)) == sent_before

    # Staging the arrived lamp makes the whole order ready: one message, one code.
    await pick_and_pack(harness, arrived["id"], "LAMP-003", 1)
    mark = await last_event_id(harness)
    await done(harness, READY, fulfillmentOrderId=arrived["id"])
    [announced] = await events_since(harness, mark, ["fulfillment.status_changed"])
    code = announced.payload["pickupCode"]
    assert announced.payload["fulfillmentOrderIds"] == [
        fo_key(pickup["id"]),
        fo_key(arrived["id"]),
    ]
    ready = [s for s in await subjects(harness, mail) if "ready for pickup" in s]
    assert ready == [f"Your order {number} is ready for pickup"]
    [message] = mail.sent[sent_before:]
    assert code in message.body and "Oak Park" in message.body

    # One hand-over with that code gives the customer all three lamps.
    handed = await done(harness, HAND_OVER, fulfillmentOrderId=pickup["id"], pickupCode=code)
    assert handed["order"]["status"] == "COMPLETED"
    view = await read_order(harness, order["id"])
    statuses = {fo["id"]: fo["status"] for fo in view["fulfillmentOrders"]}
    assert statuses[pickup["id"]] == statuses[arrived["id"]] == "PICKED_UP"
    again = await done(harness, HAND_OVER, fulfillmentOrderId=arrived["id"], pickupCode=code)
    assert again["replayed"] is True
    assert await levels(harness, network.oak_park) == (0, 0, 0)
    assert await levels(harness, network.dc) == (9, 0, 0)
    assert not any("shipped" in s or "delivered" in s for s in await subjects(harness, mail))
    topics = [e.topic for e in await events_since(harness, start)]
    assert topics.count("order.created") == 1 and "order.status_changed" in topics
    assert await ledger_discrepancies(harness.services) == []


async def test_a_curbside_order_with_nothing_at_its_store_is_all_transferred(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    loop = str(network.loop)  # the Loop store offers curbside but holds no lamps
    payload = (
        await harness.graphql(
            CREATE,
            {
                "input": order_input(
                    deliveryMethod="CURBSIDE",
                    shippingAddress=None,
                    pickupLocationId=loop,
                    lines=[{"sku": "LAMP-003", "quantity": 2}],
                    idempotencyKey="curbside-lamps",
                )
            },
        )
    )["createOrder"]
    assert payload["userErrors"] == []
    order = await read_order(harness, payload["order"]["id"])
    [transfer] = order["fulfillmentOrders"]
    assert transfer["kind"] == "TRANSFER"
    assert await levels(harness, network.dc) == (10, 2, 0)
    method, _ = await decided_at(harness, order["id"])
    assert method == "CURBSIDE"

    # The same request again is the same order, with nothing more held.
    before = await snapshot(harness)
    again = (
        await harness.graphql(
            CREATE,
            {
                "input": order_input(
                    deliveryMethod="CURBSIDE",
                    shippingAddress=None,
                    pickupLocationId=loop,
                    lines=[{"sku": "LAMP-003", "quantity": 2}],
                    idempotencyKey="curbside-lamps",
                )
            },
        )
    )["createOrder"]
    assert again["order"]["id"] == order["id"]
    assert await snapshot(harness) == before


async def test_a_pickup_no_location_can_supply_is_refused_and_changes_nothing(
    harness: Harness, network: Network
) -> None:
    before = await snapshot(harness)
    refused = await act(harness, CREATE, **lamps_at_oak_park(13))
    assert codes(refused) == ["INSUFFICIENT_STOCK"]
    assert refused["userErrors"][0]["field"] == ["input", "lines"]
    assert await snapshot(harness) == before


async def test_a_change_inside_the_window_can_be_supplied_by_transfer_and_undone(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    order = await read_order(
        harness,
        (await harness.graphql(CREATE, {"input": lamps_at_oak_park(2)}))["createOrder"]["order"][
            "id"
        ],
    )
    [own] = order["fulfillmentOrders"]
    assert own["kind"] == "PICKUP"
    ready_day = (await harness.graphql(PROMISED, {"id": order["id"]}))["node"]["promised"]

    # One more lamp than the store holds: the change sends it from the DC.
    more = await done(
        harness, CHANGE, orderId=order["id"], lines=[{"sku": "LAMP-003", "quantity": 3}]
    )
    live = {
        (fo["kind"], fo["location"]["code"], fo["lines"][0]["quantity"])
        for fo in more["order"]["fulfillmentOrders"]
        if fo["status"] == "OPEN"
    }
    assert live == {("PICKUP", "ST-OAKPARK", 2), ("TRANSFER", "DC-JOLIET", 1)}
    assert await levels(harness, network.oak_park) == (2, 2, 0)
    assert await levels(harness, network.dc) == (10, 1, 0)
    promised = more["order"]["promised"]
    assert promised["latest"] > ready_day["latest"]
    method, where = await decided_at(harness, order["id"])
    assert (method, sorted(where)) == ("PICKUP", ["DC-JOLIET", "ST-OAKPARK"])

    # Back to one lamp: the transfer is cancelled and the DC's lamp given back.
    fewer = await done(
        harness, CHANGE, orderId=order["id"], lines=[{"sku": "LAMP-003", "quantity": 1}]
    )
    live = {
        (fo["kind"], fo["location"]["code"], fo["lines"][0]["quantity"])
        for fo in fewer["order"]["fulfillmentOrders"]
        if fo["status"] == "OPEN"
    }
    assert live == {("PICKUP", "ST-OAKPARK", 1)}
    assert await levels(harness, network.dc) == (10, 0, 0)
    assert await levels(harness, network.oak_park) == (2, 1, 0)
    assert fewer["order"]["promised"] == ready_day
    assert await ledger_discrepancies(harness.services) == []


async def test_a_pickup_staged_at_the_store_is_not_ready_while_its_transfer_is_late(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    created = (await harness.graphql(CREATE, {"input": lamps_at_oak_park(3)}))["createOrder"]
    order = await read_order(harness, created["order"]["id"])
    by_kind = {fo["kind"]: fo for fo in order["fulfillmentOrders"]}
    await done(harness, RELEASE, orderId=order["id"])
    # The store stages its own two lamps at once; the DC's lamp never arrives in time.
    await pick_and_pack(harness, by_kind["PICKUP"]["id"], "LAMP-003", 2)
    await done(harness, READY, fulfillmentOrderId=by_kind["PICKUP"]["id"])
    promised = (await harness.graphql(PROMISED, {"id": order["id"]}))["node"]["promised"]
    harness.services.clock = lambda: end_of(date.fromisoformat(promised["latest"]))
    before = await last_event_id(harness)
    await harness.app.state.sla_monitor.run_once()
    [breach] = await events_since(harness, before, ["sla.breached"])
    assert breach.payload["milestone"] == "READY_BY"
    late = (await harness.graphql(LATE))["lateOrders"]
    assert [(row["order"]["number"], row["milestone"]) for row in late] == [
        (order["number"], "READY_BY")
    ]


async def test_staged_units_are_announced_once_the_lamp_they_waited_for_is_cancelled(
    shop: tuple[Harness, Network, FakeMessenger],
) -> None:
    harness, network, mail = shop
    order = await place(harness, lamps_at_oak_park(3))
    by_kind = {fo["kind"]: fo for fo in order["fulfillmentOrders"]}
    await done(harness, RELEASE, orderId=order["id"])
    await pick_and_pack(harness, by_kind["PICKUP"]["id"], "LAMP-003", 2)
    await done(harness, READY, fulfillmentOrderId=by_kind["PICKUP"]["id"])
    sent_before = len(await subjects(harness, mail))

    # The customer settles for the two lamps the store has: the DC's transfer is
    # cancelled, its lamp given back, and the collection is ready at once.
    mark = await last_event_id(harness)
    kept = await done(
        harness,
        CANCEL_LINES,
        orderId=order["id"],
        lines=[{"lineNumber": 1, "keepQuantity": 2}],
        reason="customer call",
    )
    assert kept["order"]["status"] == "IN_PROGRESS"
    assert await levels(harness, network.dc) == (10, 0, 0)
    changes = await events_since(harness, mark, ["fulfillment.status_changed"])
    assert [(e.payload["kind"], e.payload["to"]) for e in changes] == [
        ("TRANSFER", "CANCELLED"),
        ("PICKUP", "READY_FOR_PICKUP"),
    ]
    code = changes[-1].payload["pickupCode"]
    assert changes[-1].payload["fulfillmentOrderIds"] == [fo_key(by_kind["PICKUP"]["id"])]
    view = await read_order(harness, order["id"])
    assert any(
        (e["reason"] or "").startswith("ready for pickup, nothing left to wait for")
        for e in view["timeline"]
    )
    assert (await subjects(harness, mail))[sent_before:] == [
        f"Your order {order['number']} is ready for pickup"
    ]
    assert code in mail.sent[-1].body

    handed = await done(
        harness, HAND_OVER, fulfillmentOrderId=by_kind["PICKUP"]["id"], pickupCode=code
    )
    assert handed["order"]["status"] == "COMPLETED"
    assert await levels(harness, network.oak_park) == (0, 0, 0)
    assert await ledger_discrepancies(harness.services) == []


async def test_staged_units_are_announced_when_their_transfer_is_short_and_backordered(
    shop: tuple[Harness, Network, FakeMessenger],
) -> None:
    harness, network, mail = shop
    order = await place(harness, lamps_at_oak_park(3))
    by_kind = {fo["kind"]: fo for fo in order["fulfillmentOrders"]}
    await done(harness, RELEASE, orderId=order["id"])
    await pick_and_pack(harness, by_kind["PICKUP"]["id"], "LAMP-003", 2)
    await done(harness, READY, fulfillmentOrderId=by_kind["PICKUP"]["id"])
    sent_before = len(await subjects(harness, mail))

    # The DC cannot find the lamp it was to send, and nobody else has one: it is
    # backordered, and the two lamps waiting at the store are announced.
    await done(harness, ACCEPT, fulfillmentOrderId=by_kind["TRANSFER"]["id"])
    mark = await last_event_id(harness)
    short = await done(
        harness,
        SHORT,
        fulfillmentOrderId=by_kind["TRANSFER"]["id"],
        lineNumber=1,
        quantity=1,
        reason="MISSING",
    )
    assert short["fulfillmentOrder"]["status"] == "CANCELLED" and short["rerouted"] == []
    assert await levels(harness, network.dc) == (9, 0, 0)
    view = await read_order(harness, order["id"])
    assert [(b["lineNumber"], b["quantity"]) for b in view["backorders"]] == [(1, 1)]
    [announced] = [
        e
        for e in await events_since(harness, mark, ["fulfillment.status_changed"])
        if e.payload.get("pickupCode")
    ]
    assert announced.payload["fulfillmentOrderIds"] == [fo_key(by_kind["PICKUP"]["id"])]
    assert (await subjects(harness, mail))[sent_before:] == [
        f"Your order {order['number']} is ready for pickup"
    ]
    handed = await done(
        harness,
        HAND_OVER,
        fulfillmentOrderId=by_kind["PICKUP"]["id"],
        pickupCode=announced.payload["pickupCode"],
    )
    assert handed["fulfillmentOrder"]["status"] == "PICKED_UP"
    assert await levels(harness, network.oak_park) == (0, 0, 0)
    assert await ledger_discrepancies(harness.services) == []
