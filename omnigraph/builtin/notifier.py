"""The built-in notifier: tells customers their order was received when it is created.

It sends through the EMAIL messenger a plugin provides (``omnigraph_messengers``), and by
SMS and push as well where they reach the customer (see
``services.notifications.tell_customer``). With no EMAIL messenger configured the e-mail
is still recorded, as FAILED with "no EMAIL messenger configured": omnigraph has no mail
server of its own, and pretending to send would hide that customers are not being told.

A send that fails is recorded FAILED and the event still counts as handled: raising
would hold back every later confirmation behind one bounced address. Sending again with
``send_notification`` and the same idempotency key retries exactly that message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from omnigraph.events.types import Topic
from omnigraph.hookspecs import hookimpl
from omnigraph.messaging import MessageChannel
from omnigraph.services.notifications import (
    CustomerContact,
    CustomerMessage,
    tell_order_customer,
)

if TYPE_CHECKING:
    from omnigraph.events.types import Event
    from omnigraph.services.core import Services

logger = logging.getLogger(__name__)

ORDER_CONFIRMATION = "order_confirmation"
_SUBJECT = "We have received your order {number}"
_BODY = """\
Hello {name},

Thank you for your order {number}. We have received it and will let you know
when it is on its way.

{lines}

Total: {total}

Order number: {number}
"""


_SMS = "Thank you for your order {number}. We will let you know when it is on its way."
_PUSH = "We have received your order {number}."


def render_order_confirmation(
    payload: Mapping[str, Any], customer_name: str | None
) -> tuple[str, str]:
    """Subject and plain-text body from an ``order.created`` payload."""
    number = str(payload.get("number", ""))
    lines: Sequence[Mapping[str, Any]] = payload.get("lines") or ()
    total = payload.get("total") or {}
    body = _BODY.format(
        name=customer_name or "there",
        number=number,
        lines="\n".join(f"  {line['quantity']} x {line['sku']}" for line in lines),
        total=f"{total.get('amount', '')} {total.get('currencyCode', '')}".strip(),
    )
    return _SUBJECT.format(number=number), body


def idempotency_key(event: Event, channel: MessageChannel) -> str:
    """One message per event and channel, however often the event is delivered."""
    return f"{event.topic}:{event.id}:{channel.value}"


async def _confirm_order(event: Event, services: Services) -> None:
    order_id = int(event.payload.get("orderId") or event.aggregate_id)
    number = str(event.payload.get("number", ""))

    def confirmation(contact: CustomerContact) -> CustomerMessage:
        subject, body = render_order_confirmation(event.payload, contact.name)
        return CustomerMessage(
            ORDER_CONFIRMATION,
            subject,
            body,
            _SMS.format(number=number),
            _PUSH.format(number=number),
        )

    told = await tell_order_customer(
        services, order_id, confirmation, key=lambda channel: idempotency_key(event, channel)
    )
    if told is None:
        # Raising would retry forever: an order that is gone will not come back.
        logger.warning(
            "order.created event %d names order %d, which does not exist", event.id, order_id
        )


@hookimpl
def omnigraph_handle_event(event: Event, services: Services) -> Awaitable[None] | None:
    if event.topic != Topic.ORDER_CREATED:
        return None
    return _confirm_order(event, services)
