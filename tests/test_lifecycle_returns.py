"""Returns through any channel: request, receive in a store, inspect, restock and refund."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from omnigraph.db.models import Location
from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
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
    place,
    read_order,
    snapshot,
    stock,
)
from tests.test_api_orders import order_input

TEE, MUG = 1, 2
RETURN_FIELDS = """
  return {
    id status channel refund { amount } shippingRefund { amount } locationCode
    lines { lineNumber quantity disposition refund { amount } }
  }
  order { id status }
  replayed
  userErrors { field code message }
"""
REQUEST = f"""
mutation($input: RequestReturnInput!) {{ requestReturn(input: $input) {{ {RETURN_FIELDS} }} }}
"""
RECEIVE = f"""
mutation($input: ReceiveReturnInput!) {{ receiveReturn(input: $input) {{ {RETURN_FIELDS} }} }}
"""
INSPECT = f"""
mutation($input: InspectReturnInput!) {{ inspectReturn(input: $input) {{ {RETURN_FIELDS} }} }}
"""
TOTAL = """
query($id: ID!) { node(id: $id) { ... on Order {
  total { amount } shipping { amount } returns { status refund { amount } }
} } }
"""


async def delivered_order(harness: Harness) -> dict[str, Any]:
    order = await place(
        harness,
        order_input(lines=[{"sku": "TEE-001", "quantity": 2}, {"sku": "MUG-002", "quantity": 1}]),
    )
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001", quantity=2)
    await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="MUG-002")
    await done(
        harness,
        PACK,
        fulfillmentOrderId=fo["id"],
        packages=[{"lines": [{"lineNumber": 1, "quantity": 2}, {"lineNumber": 2, "quantity": 1}]}],
    )
    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    refused = await act(
        harness, REQUEST, orderId=order["id"], lines=[{"lineNumber": 1, "quantity": 1}]
    )
    assert codes(refused) == ["REFUND_EXCEEDS_PURCHASE"]  # on its way, not delivered yet
    delivered = await done(
        harness,
        TRACK,
        trackingNumber=shipped["shipments"][0]["trackingNumber"],
        status="DELIVERED",
        occurredAt="2026-11-24T12:00:00+00:00",
    )
    assert delivered["order"]["status"] == "COMPLETED"
    return order


async def test_a_return_in_store_restocks_and_refunds_and_the_rest_refunds_shipping(
    harness: Harness, network: Network
) -> None:
    async with harness.services.unit_of_work() as uow:
        store = await uow.session.get(Location, network.evanston)
        assert store is not None
        store.capabilities = [*store.capabilities, "RETURNS"]
        await uow.commit()
    notices = await Notices.start(harness)
    order = await delivered_order(harness)
    assert await notices.new() == ["order_confirmation", "shipped", "delivered"]

    before = await last_event_id(harness)
    opened = await done(
        harness,
        REQUEST,
        orderId=order["id"],
        lines=[{"lineNumber": 1, "quantity": 1}],
        channel="POS",
        reason="too small",
        idempotencyKey="rma-1",
    )
    rma = opened["return"]
    assert rma["status"] == "AUTHORIZED" and rma["channel"] == "POS"
    replay = await done(
        harness,
        REQUEST,
        orderId=order["id"],
        lines=[{"lineNumber": 1, "quantity": 1}],
        idempotencyKey="rma-1",
    )
    assert replay["replayed"] is True and replay["return"]["id"] == rma["id"]
    unchanged = await snapshot(harness)
    conflict = await act(
        harness,
        REQUEST,
        orderId=order["id"],
        lines=[{"lineNumber": 2, "quantity": 1}],
        idempotencyKey="rma-1",
    )
    assert codes(conflict) == ["IDEMPOTENCY_CONFLICT"]
    too_many = await act(
        harness, REQUEST, orderId=order["id"], lines=[{"lineNumber": 1, "quantity": 2}]
    )
    assert codes(too_many) == ["REFUND_EXCEEDS_PURCHASE"]
    assert too_many["userErrors"][0]["field"] == ["input", "lines", "0", "quantity"]
    nowhere = await act(harness, RECEIVE, returnId=rma["id"], locationId=str(network.oak_park))
    assert codes(nowhere) == ["INVALID"]
    early = await act(
        harness, INSPECT, returnId=rma["id"], lines=[{"lineNumber": 1, "disposition": "RESTOCK"}]
    )
    assert codes(early) == ["INVALID_TRANSITION"]
    assert await snapshot(harness) == unchanged
    assert await notices.new() == []  # authorised, nothing back yet

    evanston_tees = await stock(harness, network.evanston, TEE)
    received = await done(harness, RECEIVE, returnId=rma["id"], locationId=str(network.evanston))
    assert received["return"]["status"] == "RECEIVED"
    assert received["return"]["locationCode"] == "ST-EVANSTON"
    assert await stock(harness, network.evanston, TEE) == evanston_tees  # not inspected yet
    assert await notices.new() == ["return_received"]
    missing = await act(harness, INSPECT, returnId=rma["id"], lines=[])
    assert codes(missing) == ["REQUIRED"]
    refunded = await done(
        harness, INSPECT, returnId=rma["id"], lines=[{"lineNumber": 1, "disposition": "RESTOCK"}]
    )
    first = refunded["return"]
    assert first["status"] == "REFUNDED"
    assert first["refund"]["amount"] == "25.00"
    assert first["shippingRefund"]["amount"] == "0.00"
    assert await stock(harness, network.evanston, TEE) == (9, 0, 0)
    assert await notices.new() == ["refund_issued"]
    assert "refunded 25.00 USD" in notices.mail.sent[-1].body
    again = await done(
        harness, INSPECT, returnId=rma["id"], lines=[{"lineNumber": 1, "disposition": "RESTOCK"}]
    )
    assert again["replayed"] is True
    assert await stock(harness, network.evanston, TEE) == (9, 0, 0)
    assert await notices.new() == []

    # The rest comes back to the DC: a damaged tee and a mug for the vendor; the last units
    # bring the shipping with them.
    rest = (
        await done(
            harness,
            REQUEST,
            orderId=order["id"],
            lines=[{"lineNumber": 1, "quantity": 1}, {"lineNumber": 2, "quantity": 1}],
            channel="WEB",
        )
    )["return"]
    dc_mugs = await stock(harness, network.dc, MUG)
    await done(harness, RECEIVE, returnId=rest["id"], locationId=str(network.dc))
    second = (
        await done(
            harness,
            INSPECT,
            returnId=rest["id"],
            lines=[
                {"lineNumber": 1, "disposition": "DAMAGED"},
                {"lineNumber": 2, "disposition": "RETURN_TO_VENDOR"},
            ],
        )
    )["return"]
    assert await stock(harness, network.dc, TEE) == (101, 0, 1)
    assert await stock(harness, network.dc, MUG) == dc_mugs
    assert [line["refund"]["amount"] for line in second["lines"]] == ["25.00", "14.50"]
    totals = (await harness.graphql(TOTAL, {"id": order["id"]}))["node"]
    assert second["shippingRefund"]["amount"] == totals["shipping"]["amount"]
    refunds = [Decimal(r["refund"]["amount"]) for r in totals["returns"]]
    assert sum(refunds) == Decimal(totals["total"]["amount"])
    assert await notices.new() == ["return_received", "refund_issued"]

    nothing_left = await act(
        harness, REQUEST, orderId=order["id"], lines=[{"lineNumber": 2, "quantity": 1}]
    )
    assert codes(nothing_left) == ["REFUND_EXCEEDS_PURCHASE"]
    changes = await events_since(harness, before, ["return.status_changed"])
    assert [(e.payload["from"], e.payload["to"]) for e in changes[:5]] == [
        (None, "REQUESTED"),
        ("REQUESTED", "AUTHORIZED"),
        ("AUTHORIZED", "RECEIVED"),
        ("RECEIVED", "INSPECTED"),
        ("INSPECTED", "REFUNDED"),
    ]
    assert changes[4].payload["refund"] == {"amount": "25.00", "currencyCode": "USD"}
    view = await read_order(harness, order["id"])
    assert [e["toStatus"] for e in view["timeline"] if e["subjectType"] == "RETURN"] == [
        "REQUESTED",
        "AUTHORIZED",
        "RECEIVED",
        "INSPECTED",
        "REFUNDED",
        "REQUESTED",
        "AUTHORIZED",
        "RECEIVED",
        "INSPECTED",
        "REFUNDED",
    ]
    assert await ledger_discrepancies(harness.services) == []
