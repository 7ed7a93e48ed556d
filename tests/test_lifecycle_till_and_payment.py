"""A sale at the till completes at once; a payment on hold keeps an order from release."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from omnigraph.db.models import InventoryMovement, OutboxEvent
from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
from tests.lifecycle import RELEASE
from tests.test_api_inventory import location_id
from tests.test_api_orders import CREATE, level, order_input

TILL = """
mutation Till($input: CreateOrderInput!) {
  createOrder(input: $input) {
    order {
      id status paymentStatus
      fulfillmentOrders { status kind location { code } lines { quantity product { sku } } }
      timeline { subjectType fromStatus toStatus reason }
    }
    userErrors { field code message }
  }
}
"""
SET_PAYMENT = """
mutation Pay($input: SetPaymentStatusInput!) {
  setPaymentStatus(input: $input) {
    order { id status paymentStatus }
    userErrors { field code message }
  }
}
"""


def till_sale(network: Network, **changes: Any) -> dict[str, Any]:
    base = order_input(
        channel="POS",
        deliveryMethod="PICKUP",
        pickupLocationId=location_id(network.loop),
        shippingAddress=None,
        lines=[{"sku": "TEE-001", "quantity": 2}],
        paymentStatus="PAID",
        carriedOut=True,
    )
    base.update(changes)
    return base


async def topics(harness: Harness) -> list[str]:
    async with harness.services.db.read_session() as session:
        return list(await session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


async def test_goods_carried_out_at_the_till_are_sold_and_the_order_completes(
    harness: Harness, network: Network
) -> None:
    before = await level(harness, network.loop, 1)
    assert (before.on_hand, before.committed) == (3, 0)
    payload = (await harness.graphql(TILL, {"input": till_sale(network)}))["createOrder"]
    assert payload["userErrors"] == []
    order = payload["order"]
    assert (order["status"], order["paymentStatus"]) == ("COMPLETED", "PAID")
    [handed] = order["fulfillmentOrders"]
    assert (handed["status"], handed["kind"], handed["location"]["code"]) == (
        "PICKED_UP",
        "PICKUP",
        "ST-LOOP",
    )
    steps = [(e["subjectType"], e["fromStatus"], e["toStatus"]) for e in order["timeline"]]
    assert ("FULFILLMENT_ORDER", "OPEN", "PICKED_UP") in steps
    assert ("ORDER", "CONFIRMED", "COMPLETED") in steps
    after = await level(harness, network.loop, 1)
    assert (after.on_hand, after.committed) == (1, 0)
    async with harness.services.db.read_session() as session:
        reasons = list(
            await session.scalars(
                select(InventoryMovement.reason).where(
                    InventoryMovement.location_id == network.loop,
                    InventoryMovement.product_id == 1,
                    InventoryMovement.bucket == "ON_HAND",
                    InventoryMovement.delta == -2,
                )
            )
        )
    assert reasons == ["SALE"]
    assert await ledger_discrepancies(harness.services) == []
    # The order is announced before it completes; no pick list goes to the store.
    seen = await topics(harness)
    assert seen.index("order.created") < seen.index("order.status_changed")
    assert "fulfillment.released" not in seen


async def test_a_till_sale_that_cannot_be_carried_out_changes_nothing(
    harness: Harness, network: Network
) -> None:
    refusals = {
        "deliveryMethod": till_sale(
            network, deliveryMethod="SHIP_STANDARD", channel="WEB", pickupLocationId=None
        ),
        "carriedOut": till_sale(network, channel="WEB"),
        "paymentStatus": till_sale(network, paymentStatus="ON_HOLD"),
    }
    for field, request in refusals.items():
        errors = (await harness.graphql(TILL, {"input": request}))["createOrder"]["userErrors"]
        assert ["input", field] in [e["field"] for e in errors], (field, errors)
    # The store holds 3: a till cannot sell 5, nor send for more from the DC.
    short = till_sale(network, lines=[{"sku": "TEE-001", "quantity": 5}])
    [error] = (await harness.graphql(TILL, {"input": short}))["createOrder"]["userErrors"]
    assert error["code"] == "INSUFFICIENT_STOCK"
    assert await topics(harness) == []
    loop = await level(harness, network.loop, 1)
    assert (loop.on_hand, loop.committed) == (3, 0)


async def test_a_payment_on_hold_keeps_the_order_until_it_is_cleared(
    harness: Harness, network: Network
) -> None:
    created = await harness.graphql(CREATE, {"input": order_input(paymentStatus="ON_HOLD")})
    order_id = created["createOrder"]["order"]["id"]
    held = (await harness.graphql(RELEASE, {"input": {"orderId": order_id}}))["releaseOrder"]
    assert held["userErrors"][0]["code"] == "INVALID_TRANSITION"
    cleared = await harness.graphql(
        SET_PAYMENT, {"input": {"orderId": order_id, "status": "AUTHORIZED"}}
    )
    assert cleared["setPaymentStatus"]["userErrors"] == []
    assert cleared["setPaymentStatus"]["order"]["paymentStatus"] == "AUTHORIZED"
    again = await harness.graphql(
        SET_PAYMENT, {"input": {"orderId": order_id, "status": "AUTHORIZED"}}
    )
    assert again["setPaymentStatus"]["userErrors"] == []
    released = (await harness.graphql(RELEASE, {"input": {"orderId": order_id}}))["releaseOrder"]
    assert released["userErrors"] == [] and released["order"]["status"] == "RELEASED"
    late = await harness.graphql(SET_PAYMENT, {"input": {"orderId": order_id, "status": "ON_HOLD"}})
    [error] = late["setPaymentStatus"]["userErrors"]
    assert (error["field"], error["code"]) == (["input", "status"], "INVALID_TRANSITION")
