"""The lifecycle's relations load through dataloaders, and orderEvents delivers its events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from omnigraph.api.ids import decode_id
from omnigraph.api.subscriptions import ORDER_TOPICS
from omnigraph.app import create_app
from omnigraph.db.models import OutboxEvent
from omnigraph.settings import Settings
from omnigraph.testing import Harness
from tests.factories import Network, build_network
from tests.lifecycle import ACCEPT, ORDER, PACK, RELEASE, SCAN, SHIP, TRACK, done, place
from tests.live import live_server
from tests.test_api_orders import CREATE, order_input
from tests.test_lifecycle_returns import INSPECT, REQUEST
from tests.test_lifecycle_returns import RECEIVE as RECEIVE_RETURN
from tests.test_query_count import count_statements
from tests.test_subscriptions import connect, graphql

DEEP = """
query($first: Int!) {
  orders(first: $first) { edges { node {
    number status
    timeline { subjectType fromStatus toStatus actor reason occurredAt }
    backorders { lineNumber quantity }
    fulfillmentOrders {
      status
      pickList { lineNumber sku bin picked remaining }
      packages { number lines { lineNumber quantity } }
    }
  } } }
}
"""


async def worked_orders(harness: Harness, count: int, offset: int = 0) -> None:
    for index in range(offset, offset + count):
        order = await place(
            harness,
            order_input(
                customer={"email": f"q{index}@example.com"},
                lines=[{"sku": "TEE-001", "quantity": 1}],
            ),
        )
        await done(harness, RELEASE, orderId=order["id"])
        [fo] = order["fulfillmentOrders"]
        await done(harness, ACCEPT, fulfillmentOrderId=fo["id"])
        await done(harness, SCAN, fulfillmentOrderId=fo["id"], barcode="TEE-001")


async def test_timelines_and_pick_lists_cost_a_constant_number_of_statements(
    harness: Harness, network: Network
) -> None:
    await harness.graphql(
        """mutation($i: AdjustInventoryInput!) {
          adjustInventory(input: $i) { userErrors { code } } }""",
        {"i": {"locationId": str(network.dc), "sku": "TEE-001", "delta": 100, "reason": "RECEIPT"}},
    )
    await worked_orders(harness, 3)
    with count_statements(harness) as small:
        few = await harness.graphql(DEEP, {"first": 3})
    await worked_orders(harness, 12, offset=3)
    with count_statements(harness) as large:
        many = await harness.graphql(DEEP, {"first": 15})
    assert len(many["orders"]["edges"]) == 15
    assert len(large) == len(small)
    node = few["orders"]["edges"][0]["node"]
    assert [e["toStatus"] for e in node["timeline"]] == [
        "PENDING",  # captured: the order, then its fulfilment order
        "OPEN",
        "CONFIRMED",
        "RELEASED",
        "RELEASED",
        "ACCEPTED",
        "PICKING",
        "IN_PROGRESS",
    ]
    assert node["fulfillmentOrders"][0]["pickList"][0]["picked"] == 1


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    app = create_app(settings.with_overrides(event_poll_seconds=0.2), run_dispatcher=False)
    async with live_server(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        await build_network(app.state.services)
        yield base_url, http


async def test_a_console_sees_every_state_change_of_a_released_order(
    live: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, http = live
    order = (await graphql(http, CREATE, {"input": order_input()}))["createOrder"]["order"]
    async for console in connect(base_url):
        # From the start, so it makes no difference when the server starts reading.
        await console.subscribe({"orderId": order["id"], "after": "0"})
        captured = await console.events(2)
        assert [e["topic"] for e in captured] == ["fulfillment.created", "order.created"]
        released = await graphql(http, RELEASE, {"input": {"orderId": order["id"]}})
        assert released["releaseOrder"]["userErrors"] == []
        events = await console.events(4)
        assert [e["topic"] for e in events] == [
            "order.status_changed",
            "order.status_changed",
            "fulfillment.status_changed",
            "fulfillment.released",
        ]
        assert [(e["payload"]["from"], e["payload"]["to"]) for e in events[:2]] == [
            ("PENDING", "CONFIRMED"),
            ("CONFIRMED", "RELEASED"),
        ]
        assert events[0]["payload"]["actor"] == "api"
        assert events[-1]["order"]["status"] == "RELEASED"
        assert events[-1]["payload"]["pickList"][0]["sku"] == "TEE-001"


@pytest.fixture
async def live_services(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient, Any]]:
    app = create_app(settings.with_overrides(event_poll_seconds=0.2), run_dispatcher=False)
    async with live_server(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        await build_network(app.state.services)
        yield base_url, http, app.state.services


async def step(http: httpx.AsyncClient, document: str, **values: Any) -> dict[str, Any]:
    data = await graphql(http, document, {"input": values})
    payload: dict[str, Any] = next(iter(data.values()))
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def test_a_console_sees_an_orders_shipment_and_return_move_to_the_end(
    live_services: tuple[str, httpx.AsyncClient, Any],
) -> None:
    base_url, http, services = live_services
    order = (await step(http, CREATE, **order_input()))["order"]
    await step(http, RELEASE, orderId=order["id"])
    read = await graphql(http, ORDER, {"id": order["id"]})
    fo = read["node"]["fulfillmentOrders"][0]["id"]
    await step(http, ACCEPT, fulfillmentOrderId=fo)
    await step(http, SCAN, fulfillmentOrderId=fo, barcode="TEE-001", quantity=2)
    await step(
        http, PACK, fulfillmentOrderId=fo, packages=[{"lines": [{"lineNumber": 1, "quantity": 2}]}]
    )
    shipped = await step(http, SHIP, fulfillmentOrderId=fo)
    await step(
        http,
        TRACK,
        trackingNumber=shipped["shipments"][0]["trackingNumber"],
        status="DELIVERED",
        occurredAt="2026-11-24T12:00:00+00:00",
    )
    rma = await step(http, REQUEST, orderId=order["id"], lines=[{"lineNumber": 1, "quantity": 1}])
    await step(http, RECEIVE_RETURN, returnId=rma["return"]["id"], locationId="1")
    await step(
        http,
        INSPECT,
        returnId=rma["return"]["id"],
        lines=[{"lineNumber": 1, "disposition": "RESTOCK"}],
    )
    order_id = decode_id(order["id"], "Order", ())
    async with services.db.read_session() as session:
        written = list(
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.order_id == order_id, OutboxEvent.topic.in_(ORDER_TOPICS))
                .order_by(OutboxEvent.id)
            )
        )
    async for console in connect(base_url):
        await console.subscribe({"orderId": order["id"], "after": "0"})
        seen = await console.events(len(written))
    # Every change in the order's life reaches the console, in order.
    assert [e["topic"] for e in seen] == [e.topic for e in written]
    moves = [(e["topic"], e["payload"].get("to")) for e in seen]
    for move in (
        ("shipment.created", None),
        ("shipment.status_changed", "DELIVERED"),
        ("fulfillment.status_changed", "DELIVERED"),
        ("order.status_changed", "COMPLETED"),
        ("return.status_changed", "RECEIVED"),
        ("return.status_changed", "REFUNDED"),
    ):
        assert move in moves, move
