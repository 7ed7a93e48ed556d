"""orderEvents over a real WebSocket (graphql-transport-ws) against a live server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from omnigraph.app import create_app
from omnigraph.settings import Settings
from tests.factories import build_network
from tests.live import live_server
from tests.test_api_orders import CANCEL, CREATE, order_input

SUBSCRIBE = """
subscription($orderId: ID, $after: String) {
  orderEvents(orderId: $orderId, after: $after) { eventId topic payload order { number status } }
}
"""
RECEIVE_TIMEOUT = 10


async def received(socket: Any) -> dict[str, Any]:
    """The next message, which must come as a text frame: browsers' graphql-ws clients
    refuse binary ones."""
    frame = await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT)
    assert isinstance(frame, str), f"a binary frame: {frame!r}"
    message: dict[str, Any] = json.loads(frame)
    return message


class Console:
    """A customer-service console's view of the socket."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def subscribe(self, variables: dict[str, Any], subscription_id: str = "1") -> None:
        await self.socket.send(
            json.dumps(
                {
                    "id": subscription_id,
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": variables},
                }
            )
        )

    async def next_event(self) -> dict[str, Any]:
        message = await received(self.socket)
        assert message["type"] == "next", message
        return message["payload"]["data"]["orderEvents"]

    async def events(self, count: int) -> list[dict[str, Any]]:
        return [await self.next_event() for _ in range(count)]


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    app = create_app(settings.with_overrides(event_poll_seconds=0.2), run_dispatcher=False)
    async with live_server(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        await build_network(app.state.services)
        yield base_url, http


async def graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def connect(base_url: str) -> AsyncIterator[Console]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        ack = await received(socket)
        assert ack["type"] == "connection_ack"
        yield Console(socket)


async def test_a_console_follows_an_order_live_and_can_resume(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, http = server
    async for console in connect(base_url):
        # From an explicit position, so it makes no difference when the server starts reading.
        await console.subscribe({"after": "0"})
        order = (await graphql(http, CREATE, {"input": order_input()}))["createOrder"]["order"]
        created = await console.events(2)
        assert [e["topic"] for e in created] == ["fulfillment.created", "order.created"]
        assert created[1]["order"] == {"number": order["number"], "status": "PENDING"}
        assert created[1]["payload"]["number"] == order["number"]

        await graphql(http, CANCEL, {"input": {"orderId": order["id"], "reason": "duplicate"}})
        cancelled = await console.events(2)
        assert [e["topic"] for e in cancelled] == ["fulfillment.status_changed", "order.cancelled"]
        assert cancelled[1]["order"]["status"] == "CANCELLED"
        assert int(cancelled[0]["eventId"]) > int(created[1]["eventId"])

    # A console that reconnects after the first event sees everything after it, in order.
    async for console in connect(base_url):
        await console.subscribe({"after": created[0]["eventId"]})
        replay = await console.events(3)
        assert [e["topic"] for e in replay] == [
            "order.created",
            "fulfillment.status_changed",
            "order.cancelled",
        ]


async def test_order_filter_only_delivers_that_orders_events(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, http = server
    watched = (await graphql(http, CREATE, {"input": order_input()}))["createOrder"]["order"]
    async for console in connect(base_url):
        await console.subscribe({"orderId": watched["id"], "after": "0"})
        other = (
            await graphql(
                http, CREATE, {"input": order_input(customer={"email": "other@example.com"})}
            )
        )["createOrder"]["order"]
        await graphql(http, CANCEL, {"input": {"orderId": other["id"]}})
        await graphql(http, CANCEL, {"input": {"orderId": watched["id"]}})
        events = await console.events(4)
        assert {e["order"]["number"] for e in events} == {watched["number"]}
        assert [e["topic"] for e in events] == [
            "fulfillment.created",
            "order.created",
            "fulfillment.status_changed",
            "order.cancelled",
        ]


async def test_bad_subscription_arguments_are_reported(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, _ = server
    async for console in connect(base_url):
        await console.subscribe({"orderId": "%%%"})
        message = await received(console.socket)
        assert message["type"] in {"error", "next"}
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_subscription_that_does_not_validate_gets_an_error_and_the_socket_stays(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, http = server
    async for console in connect(base_url):
        for attempt in ("1", "2"):  # the second answer comes from the document cache
            await console.socket.send(
                json.dumps(
                    {
                        "id": attempt,
                        "type": "subscribe",
                        "payload": {"query": "subscription { orderEvents { noSuchField } }"},
                    }
                )
            )
            error = await received(console.socket)
            assert error["type"] == "error" and error["id"] == attempt, error
            assert "noSuchField" in error["payload"][0]["message"]
        # The connection still serves a valid subscription.
        await console.subscribe({"after": "0"}, subscription_id="3")
        await graphql(http, CREATE, {"input": order_input()})
        assert (await console.next_event())["topic"] == "fulfillment.created"


async def test_a_subscription_that_does_not_parse_closes_the_socket_as_the_protocol_says(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, _ = server
    async for console in connect(base_url):
        await console.socket.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "subscription { orderEv"}}
            )
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await received(console.socket)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400
        assert closed.value.rcvd.reason.startswith("Syntax Error")
