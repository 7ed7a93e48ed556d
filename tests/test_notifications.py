"""Notifications: one send per idempotency key, failures recorded, and the built-in notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from omnigraph.builtin import DEFAULT_PLUGINS
from omnigraph.builtin.notifier import ORDER_CONFIRMATION, render_order_confirmation
from omnigraph.db.engine import Database
from omnigraph.db.models import Customer, EventCursor, Notification, OutboxEvent
from omnigraph.domain.orders import CustomerDetails, LineRequest, OrderRequest, order_number
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.events.dispatcher import EventDispatcher
from omnigraph.events.types import Topic
from omnigraph.hookspecs import hookimpl
from omnigraph.messaging import (
    DeliveryReceipt,
    DeliveryState,
    MessageChannel,
    Messenger,
    OutboundMessage,
)
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.core import Services
from omnigraph.services.notifications import (
    CustomerContact,
    CustomerMessage,
    NotificationView,
    customer_contact,
    get_notification,
    send_notification,
    tell_order_customer,
)
from omnigraph.services.orders import create_order
from omnigraph.settings import Settings
from tests.factories import build_network

# Quiet: no built-in reacts to the events these tests count.
BUILT_INS = tuple(name for name, _ in DEFAULT_PLUGINS)


@dataclass
class FakeMessenger:
    """Records what it is asked to send; ``fail_next`` calls raise, ``refuse`` answers FAILED."""

    name: str = "fakemail"
    channel: MessageChannel = MessageChannel.EMAIL
    fail_next: int = 0
    refuse: bool = False
    sent: list[OutboundMessage] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ConnectionError("smtp relay unreachable")
        if self.refuse:
            return DeliveryReceipt(self.name, "", DeliveryState.FAILED, "mailbox does not exist")
        self.sent.append(message)
        return DeliveryReceipt(self.name, f"msg-{len(self.sent)}", DeliveryState.SENT)


@dataclass
class MessengerPlugin:
    messengers: Sequence[Messenger]

    @hookimpl
    def omnigraph_messengers(self, settings: Settings) -> Sequence[Messenger]:
        return list(self.messengers)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.from_url(settings.database_url)
    yield database
    await database.dispose()


def core(
    settings: Settings, db: Database, *messengers: FakeMessenger, **overrides: object
) -> Services:
    chosen = settings.with_overrides(**overrides)
    extra = [("fake_messaging", MessengerPlugin(messengers))] if messengers else []
    return Services(settings=chosen, db=db, plugins=build_plugin_manager(chosen, extra=extra))


async def send(
    services: Services, key: str = "welcome:1:EMAIL", channel: MessageChannel = MessageChannel.EMAIL
) -> NotificationView:
    return await send_notification(
        services,
        channel=channel,
        recipient="ada@example.com",
        template="welcome",
        subject="Welcome",
        body="Hello Ada",
        idempotency_key=key,
    )


async def rows(services: Services) -> int:
    async with services.db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(Notification)) or 0)


async def test_sends_through_the_channels_messenger_and_records_it(
    settings: Settings, db: Database
) -> None:
    mail = FakeMessenger()
    services = core(settings, db, mail)
    view = await send(services)
    assert (view.state, view.provider, view.provider_message_id, view.attempts) == (
        DeliveryState.SENT,
        "fakemail",
        "msg-1",
        1,
    )
    [message] = mail.sent
    assert (message.recipient, message.subject, message.body) == (
        "ada@example.com",
        "Welcome",
        "Hello Ada",
    )
    assert message.idempotency_key == "welcome:1:EMAIL"
    assert message.metadata["template"] == "welcome"
    assert await get_notification(services, "welcome:1:EMAIL") == view


async def test_the_same_key_never_sends_twice(settings: Settings, db: Database) -> None:
    mail = FakeMessenger()
    services = core(settings, db, mail)
    first = await send(services)
    second = await send(services)
    assert len(mail.sent) == 1
    assert second.id == first.id and second.state is DeliveryState.SENT
    assert await rows(services) == 1


async def test_a_failure_is_recorded_and_only_a_failed_key_is_sent_again(
    settings: Settings, db: Database
) -> None:
    mail = FakeMessenger(fail_next=1)
    services = core(settings, db, mail)
    failed = await send(services)
    assert failed.state is DeliveryState.FAILED
    assert failed.last_error == "ConnectionError: smtp relay unreachable"
    assert mail.sent == []

    retried = await send(services)
    assert (retried.id, retried.state, retried.attempts, retried.last_error) == (
        failed.id,
        DeliveryState.SENT,
        2,
        None,
    )
    assert len(mail.sent) == 1

    again = await send(services)
    assert again.attempts == 2 and len(mail.sent) == 1


async def test_a_provider_refusal_is_a_failure_with_its_reason(
    settings: Settings, db: Database
) -> None:
    mail = FakeMessenger(refuse=True)
    services = core(settings, db, mail)
    view = await send(services)
    assert (view.state, view.last_error, view.provider) == (
        DeliveryState.FAILED,
        "mailbox does not exist",
        "fakemail",
    )
    mail.refuse = False
    assert (await send(services)).state is DeliveryState.SENT


async def test_no_messenger_for_the_channel_is_recorded_not_raised(
    settings: Settings, db: Database
) -> None:
    services = core(settings, db, FakeMessenger())
    view = await send(services, key="otp:1:SMS", channel=MessageChannel.SMS)
    assert view.state is DeliveryState.FAILED
    assert view.last_error == "no SMS messenger configured"
    assert view.channel is MessageChannel.SMS


async def test_a_send_abandoned_mid_flight_is_retried_only_once_it_is_stale(
    settings: Settings, db: Database
) -> None:
    mail = FakeMessenger()
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    services = core(settings, db, mail)
    services.clock = lambda: now
    async with services.unit_of_work() as uow:
        # What a process that died between claiming and hearing back from the provider leaves.
        uow.session.add(
            Notification(
                template="welcome",
                channel="EMAIL",
                recipient="ada@example.com",
                subject="Welcome",
                body="Hello Ada",
                idempotency_key="welcome:1:EMAIL",
                state="QUEUED",
                attempts=1,
                created_at=now - timedelta(minutes=1),
                updated_at=now - timedelta(minutes=1),
            )
        )
        await uow.commit()
    assert (await send(services)).state is DeliveryState.QUEUED
    assert mail.sent == []
    services.clock = lambda: now + timedelta(hours=1)
    view = await send(services)
    assert (view.state, view.attempts) == (DeliveryState.SENT, 2)
    assert len(mail.sent) == 1


async def test_bad_arguments_are_refused_before_anything_is_recorded(
    settings: Settings, db: Database
) -> None:
    services = core(settings, db, FakeMessenger())
    with pytest.raises(ValueError, match="recipient must not be empty"):
        await send_notification(
            services,
            channel="EMAIL",
            recipient=" ",
            template="t",
            subject=None,
            body="b",
            idempotency_key="k",
        )
    with pytest.raises(ValueError, match="idempotency_key is longer than 200"):
        await send(services, key="k" * 201)
    assert await rows(services) == 0


# -- the built-in notifier --------------------------------------------------------------


async def place_order(services: Services, email: str = "ada@example.com") -> int:
    outcome = await create_order(
        services,
        OrderRequest(
            channel="WEB",
            method=DeliveryMethod.PICKUP,
            lines=[LineRequest("TEE-001", 2), LineRequest("MUG-002", 1)],
            customer=CustomerDetails(email=email, name="Ada Lovelace"),
            pickup_location_id=2,
        ),
    )
    return outcome.order.id


async def order_created_event(services: Services, order_id: int) -> OutboxEvent:
    async with services.db.read_session() as session:
        event = await session.scalar(
            select(OutboxEvent).where(
                OutboxEvent.topic == Topic.ORDER_CREATED, OutboxEvent.order_id == order_id
            )
        )
    assert event is not None
    return event


async def test_an_order_confirmation_is_emailed_to_the_customer(
    settings: Settings, db: Database
) -> None:
    mail = FakeMessenger()
    services = core(settings, db, mail)
    await build_network(services)
    dispatcher = EventDispatcher(services)
    await dispatcher.run_once()
    order_id = await place_order(services)
    await dispatcher.run_once()

    [message] = mail.sent
    event = await order_created_event(services, order_id)
    number = order_number(order_id)
    assert message.recipient == "ada@example.com"
    assert message.channel is MessageChannel.EMAIL
    assert message.subject == f"We have received your order {number}"
    assert "Hello Ada Lovelace" in message.body
    assert "2 x TEE-001" in message.body and "1 x MUG-002" in message.body
    assert f"Total: {event.payload['total']['amount']} USD" in message.body
    assert message.idempotency_key == f"order.created:{event.id}:EMAIL"
    view = await get_notification(services, message.idempotency_key)
    assert view is not None
    assert (view.order_id, view.template, view.state) == (
        order_id,
        ORDER_CONFIRMATION,
        DeliveryState.SENT,
    )


async def test_a_redelivered_order_event_sends_nothing_new(
    settings: Settings, db: Database
) -> None:
    mail = FakeMessenger()
    services = core(settings, db, mail)
    await build_network(services)
    await EventDispatcher(services).run_once()
    order_id = await place_order(services)
    await EventDispatcher(services).run_once()
    event = await order_created_event(services, order_id)
    # Wind the notifier's cursor back, as if its commit had been lost in a crash.
    async with services.unit_of_work() as uow:
        cursor = await uow.session.get(EventCursor, "omnigraph.notifier")
        assert cursor is not None
        cursor.last_event_id = event.id - 1
        await uow.commit()
    assert await EventDispatcher(services).run_once() >= 1
    assert len(mail.sent) == 1


async def test_without_an_email_messenger_the_confirmation_is_recorded_as_failed(
    settings: Settings, db: Database
) -> None:
    services = core(settings, db)
    await build_network(services)
    dispatcher = EventDispatcher(services)
    await dispatcher.run_once()
    order_id = await place_order(services)
    await dispatcher.run_once()
    event = await order_created_event(services, order_id)
    view = await get_notification(services, f"order.created:{event.id}:EMAIL")
    assert view is not None
    assert (view.state, view.last_error) == (DeliveryState.FAILED, "no EMAIL messenger configured")
    # Recorded, not raised: the notifier's cursor moved on.
    async with services.db.read_session() as session:
        cursor = await session.get(EventCursor, "omnigraph.notifier")
    assert cursor is not None
    assert cursor.last_event_id >= event.id and cursor.attempts == 0


async def test_the_notifier_can_be_disabled(settings: Settings, db: Database) -> None:
    mail = FakeMessenger()
    services = core(settings, db, mail, disabled_plugins=BUILT_INS)
    await build_network(services)
    dispatcher = EventDispatcher(services)
    await dispatcher.run_once()
    await place_order(services)
    await dispatcher.run_once()
    assert mail.sent == []
    assert await rows(services) == 0


async def test_customer_contact_finds_the_orders_customer(settings: Settings, db: Database) -> None:
    services = core(settings, db)
    await build_network(services)
    order_id = await place_order(services, email="Grace@Example.com")
    contact = await customer_contact(services, order_id)
    assert contact is not None
    assert (contact.email, contact.name) == ("grace@example.com", "Ada Lovelace")
    assert await customer_contact(services, order_id + 1000) is None


def test_the_confirmation_template_renders_without_a_name() -> None:
    payload = {
        "number": "OG100001",
        "total": {"amount": "12.50", "currencyCode": "EUR"},
        "lines": [{"sku": "A-1", "quantity": 3}],
    }
    subject, body = render_order_confirmation(payload, None)
    assert subject == "We have received your order OG100001"
    assert body.startswith("Hello there,")
    assert "  3 x A-1" in body and "Total: 12.50 EUR" in body


def _message(contact: CustomerContact) -> CustomerMessage:
    return CustomerMessage("welcome", "Welcome", f"Hello {contact.name}", "Hi (SMS)", "Hi (push)")


async def test_an_orders_customer_is_told_on_every_channel_in_order(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail = FakeMessenger()
    sms = FakeMessenger(name="fakesms", channel=MessageChannel.SMS, fail_next=1)
    services = core(settings, db, mail, sms)
    await build_network(services)
    order_id = await place_order(services)
    async with services.unit_of_work() as uow:  # a phone number: SMS first, e-mail last
        await uow.session.execute(update(Customer).values(phone="+15551234567"))
        await uow.commit()
    jobs = counted_writer_jobs(services, monkeypatch)

    told = await tell_order_customer(
        services, order_id, _message, key=lambda channel: f"welcome:{order_id}:{channel.value}"
    )

    assert told is not None and told.phone == "+15551234567"
    assert mail.sent[0].body == "Hello Ada Lovelace" and sms.sent == []  # the SMS failed
    sms_view = await get_notification(services, f"welcome:{order_id}:SMS")
    mail_view = await get_notification(services, f"welcome:{order_id}:EMAIL")
    assert sms_view is not None and mail_view is not None
    assert (sms_view.state, sms_view.body) == (DeliveryState.FAILED, "Hi (SMS)")
    assert mail_view.state is DeliveryState.SENT and sms_view.id < mail_view.id
    if services.db.is_sqlite:
        # The customer read with the SMS claimed, its failure; the e-mail claimed, sent.
        assert len(jobs) == 4


async def test_no_order_no_message(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = core(settings, db, FakeMessenger())
    await build_network(services)
    order_id = await place_order(services)
    told = await tell_order_customer(
        services, order_id + 1000, _message, key=lambda channel: f"gone:{channel.value}"
    )
    assert told is None
    assert await rows(services) == 0


async def test_a_message_refused_first_writes_nothing(settings: Settings, db: Database) -> None:
    services = core(settings, db, FakeMessenger())
    await build_network(services)
    order_id = await place_order(services)
    with pytest.raises(ValueError, match="idempotency_key is longer than 200"):
        await tell_order_customer(services, order_id, _message, key=lambda channel: "k" * 201)
    assert await rows(services) == 0


def counted_writer_jobs(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The jobs run by the SQLite writer from now on (none on PostgreSQL)."""
    jobs: list[object] = []
    if not services.db.is_sqlite:
        return jobs
    writer = services.db.sqlite_writer
    real = writer.run

    def run(job: Any) -> Any:
        jobs.append(job)
        return real(job)

    monkeypatch.setattr(writer, "run", run)
    return jobs
