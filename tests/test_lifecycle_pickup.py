"""Release by the scheduler, and buy online, pick up in store (or at the curb)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from omnigraph import testing
from omnigraph.api.ids import decode_id
from omnigraph.db.models import Order
from omnigraph.services.release import release_due, release_order
from omnigraph.settings import Settings
from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
from tests.lifecycle import (
    HAND_OVER,
    READY,
    SHIP,
    Notices,
    act,
    codes,
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

TEE = 1
SET_BIN = """
mutation($input: SetProductBinInput!) {
  setProductBin(input: $input) { sku bin userErrors { field code message } }
}
"""
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def collect(network: Network, method: str, quantity: int = 1) -> dict[str, object]:
    return order_input(
        deliveryMethod=method,
        shippingAddress=None,
        pickupLocationId=str(network.loop),
        lines=[{"sku": "TEE-001", "quantity": quantity}],
    )


async def test_the_scheduler_releases_orders_whose_remorse_window_ended(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    early = await place(harness, order_input())
    harness.services.clock = lambda: NOW + timedelta(minutes=20)
    late = await place(harness, order_input(customer={"email": "late@example.com"}))
    scheduler = harness.app.state.release_scheduler

    harness.services.clock = lambda: NOW + timedelta(minutes=29)
    await scheduler.run_once()
    assert (await read_order(harness, early["id"]))["status"] == "PENDING"

    # 30 minutes after capture (WEB's window) the first order goes; the second waits.
    harness.services.clock = lambda: NOW + timedelta(minutes=30)
    before = await last_event_id(harness)
    await scheduler.run_once()
    released = await read_order(harness, early["id"])
    assert released["status"] == "RELEASED"
    assert [fo["status"] for fo in released["fulfillmentOrders"]] == ["RELEASED"]
    assert (await read_order(harness, late["id"]))["status"] == "PENDING"
    steps = [e for e in released["timeline"] if e["subjectType"] == "ORDER"]
    assert [(e["toStatus"], e["actor"], e["reason"]) for e in steps] == [
        ("PENDING", "channel:WEB", "captured on WEB"),
        ("CONFIRMED", "scheduler:release", "remorse window ended"),
        ("RELEASED", "scheduler:release", "remorse window ended"),
    ]
    assert steps[1]["occurredAt"] == (NOW + timedelta(minutes=30)).isoformat()
    [event] = await events_since(harness, before, ["fulfillment.released"])
    assert event.payload["pickList"] == [
        {
            "lineNumber": 1,
            "sku": "TEE-001",
            "name": "Organic Cotton Tee",
            "barcode": "4006381333931",
            "bin": None,
            "quantity": 2,
            "picked": 0,
        }
    ]
    # Running again changes nothing.
    again = await last_event_id(harness)
    await scheduler.run_once()
    assert await last_event_id(harness) == again


async def test_a_restarted_process_releases_what_came_due_while_it_was_down(
    harness: Harness, network: Network, settings: Settings
) -> None:
    harness.services.clock = lambda: NOW
    order = await place(harness, order_input())
    # A second process on the same database, started after the window ended.
    async with testing.harness(settings, migrate=False) as restarted:
        restarted.services.clock = lambda: NOW + timedelta(hours=3)
        await restarted.app.state.release_scheduler.run_once()
    assert (await read_order(harness, order["id"]))["status"] == "RELEASED"


async def test_orders_on_payment_hold_are_not_released(harness: Harness, network: Network) -> None:
    order = await place(harness, order_input())
    async with harness.services.unit_of_work() as uow:
        row = await uow.session.get(Order, decode_id(order["id"], "Order", ()))
        assert row is not None
        row.payment_status = "ON_HOLD"
        await uow.commit()
    refused = await act(
        harness,
        """mutation($input: ReleaseOrderInput!) {
          releaseOrder(input: $input) { userErrors { field code message } } }""",
        orderId=order["id"],
    )
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert "payment" in refused["userErrors"][0]["message"]
    harness.services.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
    await harness.app.state.release_scheduler.run_once()
    assert (await read_order(harness, order["id"]))["status"] == "PENDING"


@pytest.mark.parametrize("method", ["PICKUP", "CURBSIDE"])
async def test_collection_orders_are_staged_and_handed_over_after_verification(
    harness: Harness, network: Network, method: str
) -> None:
    placed = await done(harness, SET_BIN, locationId=str(network.loop), sku="TEE-001", bin="A3-12")
    assert placed["bin"] == "A3-12"
    notices = await Notices.start(harness)
    order = await place(harness, collect(network, method))
    assert await notices.new() == ["order_confirmation"]
    [fo] = order["fulfillmentOrders"]
    assert fo["kind"] == "PICKUP" and fo["location"]["code"] == "ST-LOOP"
    assert fo["pickList"][0]["bin"] == "A3-12"
    assert await stock(harness, network.loop, TEE) == (3, 1, 0)

    harness.services.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
    await harness.app.state.release_scheduler.run_once()
    await pick_and_pack(harness, fo["id"], "4006381333931")
    # A collection order is never shipped.
    refused = await act(harness, SHIP, fulfillmentOrderId=fo["id"])
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert await notices.new() == []

    before = await last_event_id(harness)
    ready = await done(harness, READY, fulfillmentOrderId=fo["id"])
    assert ready["fulfillmentOrder"]["status"] == "READY_FOR_PICKUP"
    assert ready["order"]["status"] == "IN_PROGRESS"
    [staged] = await events_since(harness, before, ["fulfillment.status_changed"])
    code = staged.payload["pickupCode"]
    assert len(code) == 6
    assert await notices.new() == ["ready_for_pickup"]
    assert code in notices.mail.sent[-1].body
    assert "Chicago Store, 2 Test Ave" in notices.mail.sent[-1].body

    # Wrong proof: refused, and nothing moves.
    unchanged = await snapshot(harness)
    for proof in (
        {"pickupCode": "AAAAAA"},
        {"orderNumber": order["number"], "customerName": "Somebody Else"},
        {"customerName": "Ada Lovelace"},
        {"pickupCode": "AAAAAA", "orderNumber": order["number"], "customerName": "Ada Lovelace"},
    ):
        wrong = await act(harness, HAND_OVER, fulfillmentOrderId=fo["id"], **proof)
        assert codes(wrong) == ["HANDOVER_REFUSED"]
        assert code not in wrong["userErrors"][0]["message"]
    assert await snapshot(harness) == unchanged

    proof = (
        {"pickupCode": code.lower()}
        if method == "PICKUP"
        else {"orderNumber": order["number"].lower(), "customerName": "  ada LOVELACE "}
    )
    before = await last_event_id(harness)
    handed = await done(harness, HAND_OVER, fulfillmentOrderId=fo["id"], **proof)
    assert handed["fulfillmentOrder"]["status"] == "PICKED_UP"
    assert handed["order"]["status"] == "COMPLETED"
    assert await stock(harness, network.loop, TEE) == (2, 0, 0)
    changes = await events_since(harness, before, ["order.status_changed"])
    assert [e.payload["to"] for e in changes] == ["FULFILLED", "COMPLETED"]
    assert await notices.new() == []  # collected at the counter: nothing more to tell
    replay = await done(harness, HAND_OVER, fulfillmentOrderId=fo["id"], pickupCode="x")
    assert replay["replayed"] is True
    assert await stock(harness, network.loop, TEE) == (2, 0, 0)

    view = await read_order(harness, order["id"])
    fo_path = [e["toStatus"] for e in view["timeline"] if e["subjectType"] == "FULFILLMENT_ORDER"]
    assert fo_path == [
        "OPEN",
        "RELEASED",
        "ACCEPTED",
        "PICKING",
        "PACKED",
        "READY_FOR_PICKUP",
        "PICKED_UP",
    ]
    last = view["timeline"][-1]
    assert last["subjectType"] == "ORDER" and last["toStatus"] == "COMPLETED"
    handover = next(e for e in view["timeline"] if e["toStatus"] == "PICKED_UP")
    assert handover["details"]["proof"] == (
        "PICKUP_CODE" if method == "PICKUP" else "ORDER_AND_NAME"
    )
    assert await ledger_discrepancies(harness.services) == []


async def test_bins_are_set_per_location_validated_and_cleared(
    harness: Harness, network: Network
) -> None:
    unknown = await act(harness, SET_BIN, locationId="999", sku="NOPE", bin="A1")
    assert sorted(codes(unknown)) == ["UNKNOWN_LOCATION", "UNKNOWN_SKU"]
    blank = await act(harness, SET_BIN, locationId=str(network.loop), sku="TEE-001", bin="  ")
    assert codes(blank) == ["INVALID"] and blank["userErrors"][0]["field"] == ["input", "bin"]
    await done(harness, SET_BIN, locationId=str(network.loop), sku="TEE-001", bin="A3  12")
    await done(harness, SET_BIN, locationId=str(network.evanston), sku="TEE-001", bin="Z9")
    order = await place(harness, collect(network, "PICKUP"))
    assert order["fulfillmentOrders"][0]["pickList"][0]["bin"] == "A3 12"
    await done(harness, SET_BIN, locationId=str(network.loop), sku="TEE-001", bin=None)
    order = await read_order(harness, order["id"])
    assert order["fulfillmentOrders"][0]["pickList"][0]["bin"] is None


async def test_racing_releases_release_once(harness: Harness, network: Network) -> None:
    order = await place(harness, order_input())
    order_id = decode_id(order["id"], "Order", ())
    harness.services.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
    before = await last_event_id(harness)
    outcomes = await asyncio.gather(
        *(release_order(harness.services, order_id, actor=f"console-{i}") for i in range(4)),
        release_due(harness.services),
    )
    replays = [o.replayed for o in outcomes[:4]]
    assert replays.count(False) + outcomes[4] == 1
    released = await events_since(harness, before, ["fulfillment.released"])
    assert len(released) == 1
    assert (await read_order(harness, order["id"]))["status"] == "RELEASED"
