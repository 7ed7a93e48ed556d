"""The lifecycle's relations load through dataloaders, and orderEvents delivers its events."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from omnigraph.app import create_app
from omnigraph.settings import Settings
from omnigraph.testing import Harness
from tests.factories import Network, build_network
from tests.lifecycle import ACCEPT, RELEASE, SCAN, done, place
from tests.live import live_server
from tests.test_api_orders import CREATE, order_input
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
