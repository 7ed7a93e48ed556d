"""createOrder and cancelOrder through real HTTP handling."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from omnigraph.db.models import InventoryLevel, InventoryMovement, Order, OutboxEvent
from omnigraph.testing import Harness
from tests.factories import HOME, Network

CREATE = """
mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) {
    replayed
    order {
      id number status deliveryMethod
      total { amount currencyCode } shipping { amount } subtotal { amount }
      promised { earliest latest }
      lines { lineNumber quantity product { sku } unitPrice { amount } }
      fulfillmentOrders { status kind location { code } lines { quantity product { sku } } }
      channel { code } customer { email }
    }
    userErrors { field code message }
  }
}
"""
CANCEL = """
mutation Cancel($input: CancelOrderInput!) {
  cancelOrder(input: $input) { order { id status cancelReason } userErrors { field code message } }
}
"""
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "200 E Randolph St",
    "city": "Chicago",
    "postalCode": "60601",
    "country": "US",
    **HOME,
}


def order_input(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "channel": "WEB",
        "deliveryMethod": "SHIP_STANDARD",
        "lines": [{"sku": "TEE-001", "quantity": 2}],
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "shippingAddress": ADDRESS,
    }
    base.update(changes)
    return base


async def level(harness: Harness, location_id: int, product_id: int) -> InventoryLevel:
    async with harness.services.db.read_session() as session:
        row = await session.scalar(
            select(InventoryLevel).where(
                InventoryLevel.location_id == location_id, InventoryLevel.product_id == product_id
            )
        )
        assert row is not None
        return row


async def counts(harness: Harness) -> tuple[int, int, int, list[tuple[int, int, int]]]:
    async with harness.services.db.read_session() as session:
        orders = await session.scalar(select(func.count()).select_from(Order))
        events = await session.scalar(select(func.count()).select_from(OutboxEvent))
        movements = await session.scalar(select(func.count()).select_from(InventoryMovement))
        levels = [
            (r.location_id, r.product_id, r.committed)
            for r in await session.scalars(select(InventoryLevel).order_by(InventoryLevel.id))
        ]
    return int(orders or 0), int(events or 0), int(movements or 0), levels


async def test_create_order_sources_the_nearest_store_and_commits_its_stock(
    harness: Harness, network: Network
) -> None:
    data = await harness.graphql(CREATE, {"input": order_input()})
    payload = data["createOrder"]
    assert payload["userErrors"] == []
    order = payload["order"]
    assert order["status"] == "PENDING"  # inside the WEB remorse window
    assert order["number"].startswith("OG")
    assert [fo["location"]["code"] for fo in order["fulfillmentOrders"]] == ["ST-LOOP"]
    assert order["fulfillmentOrders"][0]["lines"] == [
        {"quantity": 2, "product": {"sku": "TEE-001"}}
    ]
    assert order["subtotal"]["amount"] == "50.00"
    assert order["total"]["amount"] == f"{50 + float(order['shipping']['amount']):.2f}"
    assert order["promised"]["earliest"] <= order["promised"]["latest"]
    loop_tees = await level(harness, network.loop, 1)
    assert (loop_tees.on_hand, loop_tees.committed) == (3, 2)


async def test_order_that_no_single_location_covers_is_split(
    harness: Harness, network: Network
) -> None:
    lines = [{"sku": "TEE-001", "quantity": 1}, {"sku": "LAMP-003", "quantity": 1}]
    data = await harness.graphql(CREATE, {"input": order_input(lines=lines)})
    order = data["createOrder"]["order"]
    # The Loop store has tees but no lamps, so the DC (which has both) ships it whole.
    assert [fo["location"]["code"] for fo in order["fulfillmentOrders"]] == ["DC-JOLIET"]
    too_many_tees = [{"sku": "TEE-001", "quantity": 110}]
    split = (await harness.graphql(CREATE, {"input": order_input(lines=too_many_tees)}))[
        "createOrder"
    ]["order"]
    assert sorted(fo["location"]["code"] for fo in split["fulfillmentOrders"]) == [
        "DC-JOLIET",
        "ST-EVANSTON",
        "ST-LOOP",
    ]
    assert sum(fo["lines"][0]["quantity"] for fo in split["fulfillmentOrders"]) == 110


async def test_pos_orders_skip_the_remorse_window(harness: Harness, network: Network) -> None:
    data = await harness.graphql(
        CREATE,
        {
            "input": order_input(
                channel="POS",
                deliveryMethod="PICKUP",
                shippingAddress=None,
                pickupLocationId=str(network.oak_park),
                lines=[{"sku": "LAMP-003", "quantity": 1}],
            )
        },
    )
    order = data["createOrder"]["order"]
    assert order["status"] == "CONFIRMED"
    assert order["fulfillmentOrders"][0]["kind"] == "PICKUP"
    assert order["fulfillmentOrders"][0]["location"]["code"] == "ST-OAKPARK"


async def test_bad_input_returns_user_errors_and_changes_nothing(
    harness: Harness, network: Network
) -> None:
    before = await counts(harness)
    bad = order_input(
        channel="WEB",
        lines=[{"sku": "NOPE", "quantity": 1}, {"sku": "TEE-001", "quantity": 0}],
        customer={"email": "not-an-email"},
        shippingAddress={**ADDRESS, "country": "USA"},
    )
    payload = (await harness.graphql(CREATE, {"input": bad}))["createOrder"]
    assert payload["order"] is None
    found = {(tuple(e["field"]), e["code"]) for e in payload["userErrors"]}
    assert found == {
        (("input", "lines", "0", "sku"), "UNKNOWN_SKU"),
        (("input", "lines", "1", "quantity"), "INVALID_QUANTITY"),
        (("input", "customer", "email"), "INVALID"),
        (("input", "shippingAddress", "country"), "INVALID_ADDRESS"),
    }
    assert await counts(harness) == before


async def test_unknown_channel_and_method_not_allowed(harness: Harness, network: Network) -> None:
    unknown = (await harness.graphql(CREATE, {"input": order_input(channel="FAX")}))["createOrder"][
        "userErrors"
    ]
    assert [(e["field"], e["code"]) for e in unknown] == [(["input", "channel"], "UNKNOWN_CHANNEL")]
    not_allowed = (await harness.graphql(CREATE, {"input": order_input(channel="POS")}))[
        "createOrder"
    ]["userErrors"]
    assert ["input", "deliveryMethod"] in [e["field"] for e in not_allowed]
    assert "METHOD_NOT_ALLOWED" in [e["code"] for e in not_allowed]


async def test_insufficient_stock_is_a_user_error_and_holds_nothing(
    harness: Harness, network: Network
) -> None:
    before = await counts(harness)
    payload = (
        await harness.graphql(
            CREATE, {"input": order_input(lines=[{"sku": "LAMP-003", "quantity": 13}])}
        )
    )["createOrder"]
    assert [e["code"] for e in payload["userErrors"]] == ["INSUFFICIENT_STOCK"]
    assert await counts(harness) == before


async def test_same_idempotency_key_returns_the_same_order(
    harness: Harness, network: Network
) -> None:
    first = (await harness.graphql(CREATE, {"input": order_input(idempotencyKey="cart-42")}))[
        "createOrder"
    ]
    after_first = await counts(harness)
    again = (await harness.graphql(CREATE, {"input": order_input(idempotencyKey="cart-42")}))[
        "createOrder"
    ]
    assert again["replayed"] is True and first["replayed"] is False
    assert again["order"]["id"] == first["order"]["id"]
    assert await counts(harness) == after_first
    conflict = (
        await harness.graphql(
            CREATE,
            {
                "input": order_input(
                    idempotencyKey="cart-42", lines=[{"sku": "MUG-002", "quantity": 1}]
                )
            },
        )
    )["createOrder"]
    assert [(e["field"], e["code"]) for e in conflict["userErrors"]] == [
        (["input", "idempotencyKey"], "IDEMPOTENCY_CONFLICT")
    ]


async def test_cancel_gives_the_stock_back_and_cannot_happen_twice(
    harness: Harness, network: Network
) -> None:
    order = (await harness.graphql(CREATE, {"input": order_input()}))["createOrder"]["order"]
    cancelled = (
        await harness.graphql(
            CANCEL, {"input": {"orderId": order["id"], "reason": "customer changed mind"}}
        )
    )["cancelOrder"]
    assert cancelled["userErrors"] == []
    assert cancelled["order"]["status"] == "CANCELLED"
    assert cancelled["order"]["cancelReason"] == "customer changed mind"
    assert (await level(harness, network.loop, 1)).committed == 0
    again = (await harness.graphql(CANCEL, {"input": {"orderId": order["id"]}}))["cancelOrder"]
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_TRANSITION"]
    assert "CANCELLED" in again["userErrors"][0]["message"]


async def test_cancel_with_bad_ids(harness: Harness, network: Network) -> None:
    garbage = (await harness.graphql(CANCEL, {"input": {"orderId": "%%%"}}))["cancelOrder"][
        "userErrors"
    ]
    assert [(e["field"], e["code"]) for e in garbage] == [(["input", "orderId"], "INVALID")]
    missing = (await harness.graphql(CANCEL, {"input": {"orderId": "999"}}))["cancelOrder"][
        "userErrors"
    ]
    assert [e["code"] for e in missing] == ["NOT_FOUND"]


async def test_capture_writes_ledger_and_outbox_in_the_same_transaction(
    harness: Harness, network: Network
) -> None:
    order = (await harness.graphql(CREATE, {"input": order_input()}))["createOrder"]["order"]
    async with harness.services.db.read_session() as session:
        topics = [
            row.topic for row in await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        ]
        commits = list(
            await session.scalars(
                select(InventoryMovement).where(InventoryMovement.reason == "COMMIT")
            )
        )
    assert topics == ["fulfillment.created", "inventory.changed", "order.created"]
    assert [(m.location_id, m.bucket, m.delta) for m in commits] == [(network.loop, "COMMITTED", 2)]
    assert order["channel"]["code"] == "WEB" and order["customer"]["email"] == "ada@example.com"


async def test_ids_with_non_ascii_digits_are_invalid_not_a_crash(
    harness: Harness, network: Network
) -> None:
    errors = (await harness.graphql(CANCEL, {"input": {"orderId": "²"}}))["cancelOrder"]
    assert [(e["field"], e["code"]) for e in errors["userErrors"]] == [
        (["input", "orderId"], "INVALID")
    ]
    node = await harness.graphql('{ node(id: "T3JkZXI6wrI=") { id } }')
    assert node == {"node": None}
