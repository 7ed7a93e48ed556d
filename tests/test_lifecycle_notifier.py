"""Customer messages for the lifecycle, sent once per event through the messaging hook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import omnigraph.builtin.lifecycle_notifier as lifecycle_notifier
from omnigraph import testing
from omnigraph.db.models import Customer, Notification
from omnigraph.events.types import Event
from omnigraph.messaging import MessageChannel
from omnigraph.settings import Settings
from omnigraph.testing import Harness
from tests.factories import build_network
from tests.lifecycle import (
    HAND_OVER,
    READY,
    RELEASE,
    SHIP,
    TRACK,
    done,
    pick_and_pack,
    place,
)
from tests.test_api_orders import order_input
from tests.test_notifications import FakeMessenger, MessengerPlugin

# A Monday afternoon, inside the test network's opening hours.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
async def notified(
    settings: Settings,
) -> AsyncIterator[tuple[Harness, FakeMessenger, FakeMessenger, FakeMessenger]]:
    mail = FakeMessenger()
    sms = FakeMessenger(name="fakesms", channel=MessageChannel.SMS)
    push = FakeMessenger(name="fakepush", channel=MessageChannel.PUSH)
    quiet = settings.with_overrides(disabled_plugins=("omnigraph.notifier",))
    plugins = [("fake_messaging", MessengerPlugin([mail, sms, push]))]
    async with testing.harness(quiet, migrate=False, plugins=plugins) as harness:
        await build_network(harness.services)
        await harness.app.state.dispatcher.run_once()  # the notifier starts from now
        yield harness, mail, sms, push


async def deliver(harness: Harness) -> None:
    await harness.app.state.dispatcher.run_once()


async def worked(harness: Harness, method: str) -> tuple[dict[str, Any], dict[str, Any]]:
    extra: dict[str, Any] = (
        {"deliveryMethod": "PICKUP", "shippingAddress": None, "pickupLocationId": "2"}
        if method == "PICKUP"
        else {}
    )
    order = await place(harness, order_input(lines=[{"sku": "TEE-001", "quantity": 1}], **extra))
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await pick_and_pack(harness, fo["id"], "TEE-001")
    return order, fo


async def test_ready_for_pickup_tells_the_customer_where_with_which_code_by_each_channel(
    notified: tuple[Harness, FakeMessenger, FakeMessenger, FakeMessenger],
) -> None:
    harness, mail, sms, push = notified
    order, fo = await worked(harness, "PICKUP")
    async with harness.services.unit_of_work() as uow:
        customer = await uow.session.scalar(select(Customer))
        assert customer is not None
        customer.phone = "+13125550100"
        await uow.commit()
    await done(harness, READY, fulfillmentOrderId=fo["id"])
    await deliver(harness)
    [email] = mail.sent
    assert email.subject == f"Your order {order['number']} is ready for pickup"
    assert "Chicago Store, 2 Test Ave, Chicago, 60601" in email.body
    async with harness.services.db.read_session() as session:
        code = await session.scalar(select(Notification.body).where(Notification.channel == "SMS"))
    assert code is not None and "Pickup code" in code
    [text] = sms.sent
    assert text.recipient == "+13125550100"
    assert order["number"] in text.body
    pickup_code = text.body.split("Pickup code ")[1].split(",")[0]
    [note] = push.sent
    assert note.recipient == f"customer:{customer.id}"
    assert note.subject == email.subject
    assert (
        note.body == f"Ready for pickup at Chicago Store: show code {pickup_code} at the counter."
    )

    # Delivered again (a restarted dispatcher, a retry): nothing is sent twice.
    await deliver(harness)
    assert len(mail.sent) == 1 and len(sms.sent) == 1 and len(push.sent) == 1
    await done(harness, HAND_OVER, fulfillmentOrderId=fo["id"], pickupCode=pickup_code)


async def test_shipped_out_for_delivery_and_delivered_each_send_one_email(
    notified: tuple[Harness, FakeMessenger, FakeMessenger, FakeMessenger],
) -> None:
    harness, mail, sms, push = notified
    order, fo = await worked(harness, "SHIP")
    shipped = await done(harness, SHIP, fulfillmentOrderId=fo["id"])
    number = shipped["shipments"][0]["trackingNumber"]
    for status, hour in (("OUT_FOR_DELIVERY", 9), ("DELIVERED", 12)):
        await done(
            harness,
            TRACK,
            trackingNumber=number,
            status=status,
            occurredAt=f"2026-11-24T{hour:02d}:00:00+00:00",
        )
    await deliver(harness)
    assert [m.subject for m in mail.sent] == [
        f"Your order {order['number']} is on its way",
        f"Your order {order['number']} is out for delivery",
        f"Your order {order['number']} was delivered",
    ]
    assert number in mail.sent[0].body and "tablerate" in mail.sent[0].body
    assert sms.sent == []  # no phone number on file
    assert [m.body for m in push.sent] == [
        f"Your order {order['number']} is on its way (tablerate {number}).",
        f"Your order {order['number']} arrives today ({number}).",
        f"Delivered: parcel {number} of order {order['number']}.",
    ]


def event(topic: str, **payload: Any) -> Event:
    return Event(1, topic, "return", 3, 7, payload, None, datetime(2026, 11, 24, tzinfo=UTC))


def test_returns_and_refunds_have_their_messages_and_other_events_none() -> None:
    received = event("return.status_changed", to="RECEIVED", number="OG100007")
    refunded = event(
        "return.status_changed",
        to="REFUNDED",
        number="OG100007",
        refund={"amount": "39.50", "currencyCode": "USD"},
    )
    assert lifecycle_notifier.template_for(received) is lifecycle_notifier.RETURN_RECEIVED
    template = lifecycle_notifier.template_for(refunded)
    assert template is lifecycle_notifier.REFUND_ISSUED
    text = lifecycle_notifier.render(template, refunded.payload, "Ada")
    assert text["email"].startswith("Hello Ada,")
    assert "refunded 39.50 USD" in text["email"]
    assert text["sms"] == "OG100007: refund of 39.50 USD issued."
    assert text["push"] == "Refund issued: 39.50 USD for order OG100007."
    for quiet in (
        event("return.status_changed", to="AUTHORIZED"),
        event("fulfillment.status_changed", to="PACKED"),
        # Staged, but the rest of the order is still on its way: no code, no message yet.
        event("fulfillment.status_changed", to="READY_FOR_PICKUP", waitingFor=[12]),
        event("shipment.status_changed", to="IN_TRANSIT"),
        event("order.created"),
    ):
        assert lifecycle_notifier.template_for(quiet) is None


async def test_the_confirmation_and_a_delay_reach_the_customer_on_every_channel(
    settings: Settings,
) -> None:
    mail = FakeMessenger()
    sms = FakeMessenger(name="fakesms", channel=MessageChannel.SMS)
    push = FakeMessenger(name="fakepush", channel=MessageChannel.PUSH)
    plugins = [("fake_messaging", MessengerPlugin([mail, sms, push]))]
    async with testing.harness(settings, migrate=False, plugins=plugins) as harness:
        harness.services.clock = lambda: NOW
        await build_network(harness.services)
        await deliver(harness)
        customer = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+13125550100"}
        order = await place(harness, order_input(customer=customer))
        await deliver(harness)
        number = order["number"]
        assert [m.subject for m in mail.sent] == [f"We have received your order {number}"]
        [text] = sms.sent
        assert (text.recipient, text.body) == (
            "+13125550100",
            f"Thank you for your order {number}. We will let you know when it is on its way.",
        )
        [note] = push.sent
        assert note.recipient.startswith("customer:")
        assert note.body == f"We have received your order {number}."

        # Never released: the monitor's delay message goes the same three ways, once.
        harness.services.clock = lambda: NOW + timedelta(minutes=90)
        for _ in range(2):
            await harness.app.state.sla_monitor.run_once()
        delayed = f"Your order {number} is delayed"
        assert [m.subject for m in mail.sent[1:]] == [delayed]
        assert [m.body for m in sms.sent[1:]] == [
            f"Sorry: your order {number} is taking longer than planned to be sent to our "
            "store or warehouse. We will let you know when it moves."
        ]
        assert [(m.recipient, m.subject) for m in push.sent[1:]] == [(note.recipient, delayed)]
        async with harness.services.db.read_session() as session:
            rows = list(
                await session.scalars(
                    select(Notification).where(Notification.template == "order_delay")
                )
            )
        assert sorted((row.channel, row.state) for row in rows) == [
            ("EMAIL", "SENT"),
            ("PUSH", "SENT"),
            ("SMS", "SENT"),
        ]
