"""Capture from every channel: each with its own remorse window and allowed methods,
idempotent, sourced and committed at once, confirmed to the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omnigraph.api.ids import decode_id
from omnigraph.db.models import Channel
from omnigraph.domain.vocabulary import ChannelCode
from omnigraph.testing import Harness
from tests.factories import Network, ledger_discrepancies
from tests.lifecycle import Notices, act, codes, events_since, last_event_id, snapshot, stock
from tests.test_api_orders import CREATE, order_input

TEE = 1
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
# The channels the test network lacks, each with a window and methods of its own.
MORE_CHANNELS = {
    ChannelCode.APP: (15, ["SHIP_STANDARD", "PICKUP"]),
    ChannelCode.MARKETPLACE: (60, ["SHIP_STANDARD"]),
    ChannelCode.CALL_CENTER: (45, ["SHIP_STANDARD", "PICKUP"]),
    ChannelCode.B2B_PORTAL: (120, ["SHIP_STANDARD"]),
    ChannelCode.EDI: (5, ["SHIP_STANDARD"]),
}
ORDER = """
query($id: ID!) { node(id: $id) { ... on Order {
  status paymentStatus remorseEndsAt channel { code } fulfillmentOrders { status location { code } }
} } }
"""


@pytest.fixture
async def every_channel(harness: Harness, network: Network) -> Network:
    async with harness.services.unit_of_work() as uow:
        uow.session.add_all(
            Channel(
                id=10 + index,
                code=code.value,
                name=code.value.title(),
                remorse_minutes=minutes,
                allowed_methods=methods,
            )
            for index, (code, (minutes, methods)) in enumerate(MORE_CHANNELS.items())
        )
        await uow.commit()
    harness.services.clock = lambda: NOW
    return network


def test_the_test_covers_every_channel() -> None:
    assert {*MORE_CHANNELS, ChannelCode.WEB, ChannelCode.POS} == set(ChannelCode)


@pytest.mark.parametrize("code", list(MORE_CHANNELS))
async def test_an_order_is_captured_from_the_channel_once_and_confirmed(
    harness: Harness, every_channel: Network, code: ChannelCode
) -> None:
    notices = await Notices.start(harness)
    minutes, allowed = MORE_CHANNELS[code]
    start = await last_event_id(harness)
    request = order_input(channel=code.value, idempotencyKey=f"{code.value}-1")
    created = (await harness.graphql(CREATE, {"input": request}))["createOrder"]
    assert created["userErrors"] == []
    view = (await harness.graphql(ORDER, {"id": created["order"]["id"]}))["node"]
    assert view["channel"]["code"] == code.value
    assert (view["status"], view["paymentStatus"]) == ("PENDING", "AUTHORIZED")
    assert datetime.fromisoformat(view["remorseEndsAt"]) == NOW + timedelta(minutes=minutes)
    assert [fo["status"] for fo in view["fulfillmentOrders"]] == ["OPEN"]
    assert await stock(harness, every_channel.loop, TEE) == (3, 2, 0)
    [placed] = await events_since(harness, start, ["order.created"])
    assert placed.payload["orderId"] == decode_id(created["order"]["id"], "Order", ())
    assert await notices.new() == ["order_confirmation"]

    # The same key again is the same order: nothing more held, nobody told twice.
    before = await snapshot(harness)
    again = (await harness.graphql(CREATE, {"input": request}))["createOrder"]
    assert again["order"]["id"] == created["order"]["id"] and again["replayed"] is True
    assert await snapshot(harness) == before
    assert await notices.new() == []

    # A method the channel does not offer is refused and changes nothing.
    if "PICKUP" not in allowed:
        refused = await act(
            harness,
            CREATE,
            **order_input(
                channel=code.value,
                deliveryMethod="PICKUP",
                shippingAddress=None,
                pickupLocationId=str(every_channel.loop),
            ),
        )
        assert codes(refused) == ["METHOD_NOT_ALLOWED"]
        assert refused["order"] is None
        assert await snapshot(harness) == before
    assert await ledger_discrepancies(harness.services) == []
