"""Customer notifications: recorded once per idempotency key, sent through the channel's messenger.

The row in ``notifications`` is written (state QUEUED) before the messenger is called and
updated with its answer, so every message has a record whether it went out or not. The
provider call happens outside any transaction: a slow e-mail API must not hold the
database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement

from omnigraph.db.models import Customer, Notification, Order
from omnigraph.messaging import DeliveryReceipt, DeliveryState, MessageChannel, OutboundMessage
from omnigraph.services import notification_rows

if TYPE_CHECKING:
    from omnigraph.services.core import Services

# A claim this old without a provider answer is from a process that died mid-send; the
# messenger contract (no resend for a known key) makes trying again safe.
STALE_CLAIM = timedelta(minutes=10)
_LIMITS = {"recipient": 254, "subject": 300, "template": 64, "idempotency_key": 200}
_ERROR_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    order_id: int | None
    channel: MessageChannel
    recipient: str
    template: str
    subject: str | None
    body: str
    idempotency_key: str
    state: DeliveryState
    provider: str | None
    provider_message_id: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerContact:
    customer_id: int
    email: str
    name: str | None
    phone: str | None


def _view(row: Notification) -> NotificationView:
    return NotificationView(
        id=row.id,
        order_id=row.order_id,
        channel=MessageChannel(row.channel),
        recipient=row.recipient,
        template=row.template,
        subject=row.subject,
        body=row.body,
        idempotency_key=row.idempotency_key,
        state=DeliveryState(row.state),
        provider=row.provider,
        provider_message_id=row.provider_message_id,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _claimable(now: datetime) -> ColumnElement[bool]:
    n = Notification
    return or_(
        n.state == DeliveryState.FAILED.value,
        and_(
            n.state == DeliveryState.QUEUED.value,
            n.provider_message_id.is_(None),
            n.updated_at < now - STALE_CLAIM,
        ),
    )


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """One message as ``send_notification`` takes it."""

    channel: MessageChannel
    recipient: str
    template: str
    subject: str | None
    body: str
    idempotency_key: str
    order_id: int | None

    def claim_fields(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "template": self.template,
            "channel": self.channel.value,
            "recipient": self.recipient,
            "subject": self.subject,
            "body": self.body,
            "idempotency_key": self.idempotency_key,
        }


async def send_notification(
    services: Services,
    *,
    channel: MessageChannel | str,
    recipient: str,
    template: str,
    subject: str | None,
    body: str,
    idempotency_key: str,
    order_id: int | None = None,
) -> NotificationView:
    """Record and send one message; the same ``idempotency_key`` never sends twice.

    A second call with a key already SENT, DELIVERED or being sent returns the stored row
    and sends nothing. A key whose last attempt FAILED is sent again, with the content
    stored the first time (the key names the message). Failures are data, not exceptions:
    a messenger that raises or reports FAILED, or no messenger for the channel, leaves the
    row FAILED with ``last_error``.
    """
    outgoing = _Outgoing(
        MessageChannel(channel), recipient, template, subject, body, idempotency_key, order_id
    )
    return await _send(services, outgoing)


async def _send(services: Services, outgoing: _Outgoing) -> NotificationView:
    _check(outgoing)
    row, claimed = await _claim(
        services, outgoing.claim_fields(), failed=_unsendable(services, outgoing)
    )
    return await _deliver(services, outgoing, row, claimed)


def _check(outgoing: _Outgoing) -> None:
    _check_lengths(
        recipient=outgoing.recipient,
        template=outgoing.template,
        idempotency_key=outgoing.idempotency_key,
        subject=outgoing.subject,
    )


def _unsendable(services: Services, outgoing: _Outgoing) -> str | None:
    """Why nothing can send the message (recorded FAILED in the claim itself, one write
    instead of two), or None."""
    if outgoing.channel in services.messengers:
        return None
    return f"no {outgoing.channel.value} messenger configured"


async def _deliver(
    services: Services, outgoing: _Outgoing, row: Notification, claimed: bool
) -> NotificationView:
    """Hand a claimed row's message to the channel's messenger and record its answer."""
    messenger = services.messengers.get(outgoing.channel)
    if not claimed or messenger is None:
        return _view(row)
    message = OutboundMessage(
        channel=outgoing.channel,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        idempotency_key=row.idempotency_key,
        metadata={"template": row.template},
    )
    try:
        receipt = await messenger.send(message)
    except Exception as exc:
        return await _finish(
            services,
            row.id,
            state=DeliveryState.FAILED,
            provider=messenger.name,
            last_error=f"{type(exc).__name__}: {exc}",
        )
    return await _finish_with(services, row.id, receipt)


def _check_lengths(**values: str | None) -> None:
    # Programming errors, not delivery failures: the columns would reject them anyway.
    for name, value in values.items():
        if value is None:
            continue
        if name != "subject" and not value.strip():
            raise ValueError(f"{name} must not be empty")
        if len(value) > _LIMITS[name]:
            raise ValueError(f"{name} is longer than {_LIMITS[name]} characters")


async def _claim(
    services: Services, fields: dict[str, Any], *, failed: str | None = None
) -> tuple[Notification, bool]:
    """The row for the key and whether this call may send it (new, FAILED or abandoned).

    With ``failed`` (no messenger for the channel) a row this call may have is recorded
    FAILED with that error at once, as a send attempt that failed.
    """
    now = services.clock()
    key = fields["idempotency_key"]
    state = DeliveryState.FAILED if failed else DeliveryState.QUEUED
    if services.db.is_sqlite:
        return await services.db.sqlite_writer.run(
            lambda db: notification_rows.claim(db, fields, state, failed, now, now - STALE_CLAIM)
        )
    async with services.unit_of_work() as uow:
        session = uow.session
        insert = sqlite_insert if uow.is_sqlite else pg_insert
        # A new key is the common case: one INSERT that skips a key already there.
        row = await session.scalar(
            insert(Notification)
            .values(
                **fields,
                state=state.value,
                attempts=1,
                last_error=failed,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(Notification)
        )
        if row is None:
            # One conditional UPDATE: of two concurrent retries only one wins the row.
            row = await session.scalar(
                update(Notification)
                .where(Notification.idempotency_key == key, _claimable(now))
                .values(
                    state=state.value,
                    attempts=Notification.attempts + 1,
                    last_error=failed,
                    updated_at=now,
                )
                .returning(Notification)
            )
            if row is None:
                existing = await session.scalar(
                    select(Notification).where(Notification.idempotency_key == key)
                )
                if existing is None:  # the key's row was deleted between the two statements
                    raise RuntimeError(f"notification {key!r} vanished while being claimed")
                return existing, False
        await uow.commit()
        return row, True


async def _finish_with(
    services: Services, notification_id: int, receipt: DeliveryReceipt
) -> NotificationView:
    state = DeliveryState(receipt.state)
    return await _finish(
        services,
        notification_id,
        state=state,
        provider=receipt.provider,
        provider_message_id=receipt.provider_message_id or None,
        last_error=(receipt.detail or "the provider reported a failure")
        if state is DeliveryState.FAILED
        else None,
    )


async def _finish(
    services: Services, notification_id: int, *, state: DeliveryState, **values: Any
) -> NotificationView:
    if values.get("last_error"):
        values["last_error"] = values["last_error"][:_ERROR_LENGTH]
    if services.db.is_sqlite:
        changes = {"state": state.value, "updated_at": services.clock(), **values}
        return _view(
            await services.db.sqlite_writer.run(
                lambda db: notification_rows.finish(db, notification_id, changes)
            )
        )
    async with services.unit_of_work() as uow:
        row = await uow.session.scalar(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(state=state.value, updated_at=services.clock(), **values)
            .returning(Notification)
        )
        await uow.commit()
    assert row is not None, "a claimed notification row disappeared"
    return _view(row)


async def get_notification(services: Services, idempotency_key: str) -> NotificationView | None:
    """The notification recorded under a key, if any."""
    async with services.db.read_session() as session:
        row = await session.scalar(
            select(Notification).where(Notification.idempotency_key == idempotency_key)
        )
        return _view(row) if row is not None else None


async def customer_contact(services: Services, order_id: int) -> CustomerContact | None:
    """Who to tell about an order: its customer's e-mail, name and phone; None if no such order."""
    if services.db.is_sqlite:
        found = await services.db.sqlite_writer.run(
            lambda db: notification_rows.contact(db, order_id)
        )
        return None if found is None else CustomerContact(*found)
    async with services.db.read_session() as session:
        row = await session.scalar(
            select(Customer)
            .join(Order, Order.customer_id == Customer.id)
            .where(Order.id == order_id)
        )
        if row is None:
            return None
        return CustomerContact(customer_id=row.id, email=row.email, name=row.name, phone=row.phone)


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    """One message to a customer, with its text for each channel."""

    template: str
    subject: str
    email: str
    sms: str
    push: str


def push_address(contact: CustomerContact) -> str:
    """How a push is addressed: the push provider maps the customer to their devices."""
    return f"customer:{contact.customer_id}"


def _outgoing(
    services: Services,
    contact: CustomerContact,
    message: CustomerMessage,
    key: Callable[[MessageChannel], str],
    order_id: int | None,
) -> list[_Outgoing]:
    """``tell_customer``'s messages, in the order they are sent."""
    template = message.template
    sends: list[_Outgoing] = []
    if contact.phone:
        sms = MessageChannel.SMS
        sends.append(_Outgoing(sms, contact.phone, template, None, message.sms, key(sms), order_id))
    if MessageChannel.PUSH in services.messengers:
        push = MessageChannel.PUSH
        sends.append(
            _Outgoing(
                push,
                push_address(contact),
                template,
                message.subject,
                message.push,
                key(push),
                order_id,
            )
        )
    email = MessageChannel.EMAIL
    sends.append(
        _Outgoing(
            email, contact.email, template, message.subject, message.email, key(email), order_id
        )
    )
    return sends


async def tell_customer(
    services: Services,
    contact: CustomerContact,
    message: CustomerMessage,
    *,
    key: Callable[[MessageChannel], str],
    order_id: int | None,
) -> None:
    """Send ``message`` on every channel that reaches the customer: by SMS when they left
    a phone number, as a push when a PUSH messenger is installed, and by e-mail, last, so
    a record of the e-mail means every channel has been tried. ``key`` gives each
    channel's idempotency key."""
    for outgoing in _outgoing(services, contact, message, key, order_id):
        await _send(services, outgoing)


async def tell_order_customer(
    services: Services,
    order_id: int,
    compose: Callable[[CustomerContact], CustomerMessage],
    *,
    key: Callable[[MessageChannel], str],
) -> CustomerContact | None:
    """``tell_customer`` for the customer of order ``order_id``, with the message
    ``compose`` writes for them (a pure function); None, sending nothing, when there is
    no such order.

    On SQLite the customer is read and the first message claimed by one writer job: an
    order confirmation then costs one round trip to the writer thread less.
    """
    if not services.db.is_sqlite:
        contact = await customer_contact(services, order_id)
        if contact is not None:
            await tell_customer(services, contact, compose(contact), key=key, order_id=order_id)
        return contact
    now = services.clock()

    def read_and_claim(
        db: sqlite3.Connection,
    ) -> tuple[CustomerContact, list[_Outgoing], tuple[Notification, bool]] | None:
        found = notification_rows.contact(db, order_id)
        if found is None:
            return None
        contact = CustomerContact(*found)
        sends = _outgoing(services, contact, compose(contact), key, order_id)
        first = sends[0]
        _check(first)
        failed = _unsendable(services, first)
        state = DeliveryState.FAILED if failed else DeliveryState.QUEUED
        claimed = notification_rows.claim(
            db, first.claim_fields(), state, failed, now, now - STALE_CLAIM
        )
        return contact, sends, claimed

    answer = await services.db.sqlite_writer.run(read_and_claim)
    if answer is None:
        return None
    contact, sends, (row, claimed) = answer
    await _deliver(services, sends[0], row, claimed)
    for outgoing in sends[1:]:
        await _send(services, outgoing)
    return contact
