"""Customer messages for the order lifecycle: ready for pickup (store, address, code and
collect-by date), shipped (carrier and tracking), out for delivery, delivered, return
received and refund issued. A store transfer's parcels are not the customer's: their
shipment events send nothing.

Each is sent by e-mail, by SMS too when the customer left a phone number, and as a push
notification when a PUSH messenger is installed, through the messengers plugins provide
(``omnigraph_messengers``). A push is addressed to ``customer:<id>``: the push provider
knows the customer's devices, omnigraph does not. The idempotency key is the event and
the channel, so a redelivered event never sends twice. As with the order confirmation, a
message with no messenger for its channel is recorded FAILED rather than pretended sent.
(The delay message belongs to the SLA monitor, ``services.sla``.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnigraph.events.types import Topic
from omnigraph.hookspecs import hookimpl
from omnigraph.services.notifications import (
    CustomerContact,
    CustomerMessage,
    tell_order_customer,
)
from omnigraph.services.shipments import is_transfer_shipment

if TYPE_CHECKING:
    from omnigraph.events.types import Event
    from omnigraph.services.core import Services


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    subject: str
    email: str
    sms: str
    push: str


READY = Template(
    "ready_for_pickup",
    "Your order {number} is ready for pickup",
    "Hello {name},\n\nYour order {number} is ready at {locationName}, {address}.\n"
    "Show this code at the counter: {pickupCode}\nWe keep it for you until {collectBy}.\n",
    "{number} is ready at {locationName}. Pickup code {pickupCode}, until {collectBy}.",
    "Ready for pickup at {locationName}: show code {pickupCode} at the counter.",
)
SHIPPED = Template(
    "shipped",
    "Your order {number} is on its way",
    "Hello {name},\n\nYour order {number} has shipped with {carrier} ({service}).\n"
    "Tracking number: {trackingNumber}\n",
    "{number} has shipped: {carrier} tracking {trackingNumber}.",
    "Your order {number} is on its way ({carrier} {trackingNumber}).",
)
OUT_FOR_DELIVERY = Template(
    "out_for_delivery",
    "Your order {number} is out for delivery",
    "Hello {name},\n\nYour order {number} is out for delivery today.\n"
    "Tracking number: {trackingNumber}\n",
    "{number} is out for delivery today (tracking {trackingNumber}).",
    "Your order {number} arrives today ({trackingNumber}).",
)
DELIVERED = Template(
    "delivered",
    "Your order {number} was delivered",
    "Hello {name},\n\nYour parcel {trackingNumber} of order {number} was delivered.\n",
    "{number}: parcel {trackingNumber} delivered.",
    "Delivered: parcel {trackingNumber} of order {number}.",
)
RETURN_RECEIVED = Template(
    "return_received",
    "We received your return for order {number}",
    "Hello {name},\n\nWe received your return for order {number} and will inspect it now.\n",
    "We received your return for {number}.",
    "Your return for {number} has arrived; we are inspecting it.",
)
REFUND_ISSUED = Template(
    "refund_issued",
    "Your refund for order {number}",
    "Hello {name},\n\nWe refunded {amount} {currencyCode} for your return on order {number}.\n",
    "{number}: refund of {amount} {currencyCode} issued.",
    "Refund issued: {amount} {currencyCode} for order {number}.",
)


def template_for(event: Event) -> Template | None:
    """The message an event calls for, or None."""
    to = event.payload.get("to")
    if event.topic == Topic.SHIPMENT_CREATED:
        return SHIPPED
    if event.topic == Topic.FULFILLMENT_STATUS_CHANGED and to == "READY_FOR_PICKUP":
        # Staged units still waiting for the rest of the order carry no pickup code yet.
        return READY if event.payload.get("pickupCode") else None
    if event.topic == Topic.SHIPMENT_STATUS_CHANGED:
        return {"OUT_FOR_DELIVERY": OUT_FOR_DELIVERY, "DELIVERED": DELIVERED}.get(str(to))
    if event.topic == Topic.RETURN_STATUS_CHANGED:
        return {"RECEIVED": RETURN_RECEIVED, "REFUNDED": REFUND_ISSUED}.get(str(to))
    return None


def render(template: Template, payload: Mapping[str, Any], name: str | None) -> dict[str, str]:
    """Subject, e-mail body, SMS and push texts; missing facts read as empty, never fail."""
    facts: dict[str, Any] = {key: "" for key in _FIELDS}
    facts.update({k: v for k, v in payload.items() if v is not None})
    facts.update(payload.get("refund") or {})
    facts["number"] = payload.get("number") or f"#{payload.get('orderId', '')}"
    facts["name"] = name or "there"
    return {
        "subject": template.subject.format(**facts),
        "email": template.email.format(**facts),
        "sms": template.sms.format(**facts),
        "push": template.push.format(**facts),
    }


_SHIPMENT_TOPICS = (Topic.SHIPMENT_CREATED, Topic.SHIPMENT_STATUS_CHANGED)
_FIELDS = (
    "locationName",
    "address",
    "pickupCode",
    "collectBy",
    "carrier",
    "service",
    "trackingNumber",
    "amount",
    "currencyCode",
)


async def _notify(event: Event, services: Services, template: Template) -> None:
    if event.topic in _SHIPMENT_TOPICS and await is_transfer_shipment(
        services, event.payload.get("fulfillmentOrderId")
    ):
        return  # a store transfer's parcels: the customer hears when the order is ready
    order_id = event.order_id or int(event.payload.get("orderId") or 0)

    def message(contact: CustomerContact) -> CustomerMessage:
        text = render(template, event.payload, contact.name)
        return CustomerMessage(
            template.name, text["subject"], text["email"], text["sms"], text["push"]
        )

    # An order that is gone is told nothing; retrying would not bring it back.
    await tell_order_customer(
        services,
        order_id,
        message,
        key=lambda channel: f"{event.topic}:{event.id}:{channel.value}",
    )


@hookimpl
def omnigraph_handle_event(event: Event, services: Services) -> Awaitable[None] | None:
    template = template_for(event)
    if template is None:
        return None
    return _notify(event, services, template)
