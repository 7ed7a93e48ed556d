"""inventoryChanged over a real WebSocket (graphql-transport-ws) against a live server."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.test_api_inventory import ADJUST, location_id
from tests.test_counts import COUNT, count_input
from tests.test_subscriptions import connect, graphql, received, server

__all__ = ["server"]  # the live-server fixture, shared with the orderEvents tests

SUBSCRIBE = """
subscription($skus: [String!], $locationIds: [ID!], $after: String) {
  inventoryChanged(skus: $skus, locationIds: $locationIds, after: $after) {
    eventId sku location { code } product { name } available availableBefore onHand reason
    occurredAt
  }
}
"""


async def subscribe(console: Any, variables: dict[str, Any]) -> None:
    await console.socket.send(
        json.dumps(
            {
                "id": "inv",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": variables},
            }
        )
    )


async def next_change(console: Any) -> dict[str, Any]:
    message = await received(console.socket)
    assert message["type"] == "next", message
    change: dict[str, Any] = message["payload"]["data"]["inventoryChanged"]
    return change


async def adjust(http: httpx.AsyncClient, location: int, sku: str, delta: int) -> None:
    change = {"locationId": location_id(location), "sku": sku, "delta": delta}
    payload = (await graphql(http, ADJUST, {"input": change}))["adjustInventory"]
    assert payload["userErrors"] == []


async def test_a_storefront_follows_stock_of_chosen_skus_and_locations(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, http = server
    async for console in connect(base_url):
        # From an explicit position, so it makes no difference when the server starts reading.
        await subscribe(
            console, {"skus": ["TEE-001"], "locationIds": [location_id(2)], "after": "0"}
        )
        await adjust(http, 2, "MUG-002", 4)  # another SKU at the location
        await adjust(http, 3, "TEE-001", 4)  # the SKU at another location
        await adjust(http, 2, "TEE-001", 5)
        received = await next_change(console)
        assert {k: v for k, v in received.items() if k not in {"eventId", "occurredAt"}} == {
            "sku": "TEE-001",
            "location": {"code": "ST-LOOP"},
            "product": {"name": "Organic Cotton Tee"},
            "available": 8,
            "availableBefore": 3,
            "onHand": 8,
            "reason": "ADJUSTMENT",
        }
        counted = await graphql(http, COUNT, {"input": count_input(2, {"TEE-001": 6})})
        assert counted["recordInventoryCount"]["userErrors"] == []
        count = await next_change(console)
        assert (count["reason"], count["availableBefore"], count["onHand"]) == ("CYCLE_COUNT", 8, 6)
        assert int(count["eventId"]) > int(received["eventId"])

    # Resuming after the first change replays only what matched after it.
    async for console in connect(base_url):
        await subscribe(console, {"skus": ["TEE-001"], "after": received["eventId"]})
        assert (await next_change(console))["eventId"] == count["eventId"]


async def test_a_level_created_after_subscribing_is_followed(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, http = server
    async for console in connect(base_url):
        await subscribe(console, {"locationIds": [location_id(4)], "after": "0"})
        await adjust(http, 3, "MUG-002", 1)
        await adjust(http, 4, "MUG-002", 12)  # Oak Park never stocked mugs before
        first = await next_change(console)
        assert (first["sku"], first["location"], first["availableBefore"], first["available"]) == (
            "MUG-002",
            {"code": "ST-OAKPARK"},
            0,
            12,
        )


async def test_bad_inventory_subscription_arguments_are_reported(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, _ = server
    async for console in connect(base_url):
        await subscribe(console, {"locationIds": ["%%%"]})
        message = await received(console.socket)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
