"""createOrder: capture an order from any channel."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.inputs import AddressInput, LineInput
from omnigraph.api.types.common import DeliveryMethod, PaymentStatus
from omnigraph.api.types.orders import Order
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.domain.orders import CustomerDetails, LineRequest, OrderRequest
from omnigraph.services import orders


@strawberry.input
class CustomerInput:
    email: str
    name: str | None = None
    phone: str | None = None


@strawberry.input
class CreateOrderInput:
    channel: str
    delivery_method: DeliveryMethod  # type: ignore[valid-type]
    lines: list[LineInput]
    customer: CustomerInput
    shipping_address: AddressInput | None = None
    pickup_location_id: strawberry.ID | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first order instead of a second one.",
    )
    external_reference: str | None = None
    reservation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Converts this reservation: the order takes exactly its held units, "
        "from where they are held, without competing with other buyers.",
    )
    payment_status: PaymentStatus = strawberry.field(  # type: ignore[valid-type]
        default=vocabulary.PaymentStatus.AUTHORIZED,
        description="ON_HOLD keeps the order from being released until `setPaymentStatus` "
        "clears it; a till sale is PAID.",
    )
    carried_out: bool = strawberry.field(
        default=False,
        description="A till sale: the customer walks out with the goods (PICKUP at the "
        "till's store, on a channel without a remorse window). Stock is sold and the order "
        "is COMPLETED at once.",
    )
    requested_date: datetime.date | None = strawberry.field(
        default=None,
        description="A later delivery date (B2B, pre-orders): lines short now may wait for "
        "incoming supply that arrives by then, as `deliveryPromise(requestedDate)` promised. "
        "Also without it, a method whose sourcing rules allow backorders may wait.",
    )


@strawberry.type
class CreateOrderPayload:
    order: Order | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when the idempotency key had been used."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _request(data: CreateOrderInput) -> OrderRequest:
    address = data.shipping_address
    return OrderRequest(
        channel=data.channel,
        method=vocabulary.DeliveryMethod(data.delivery_method),
        lines=[LineRequest(line.sku, line.quantity) for line in data.lines],
        customer=CustomerDetails(data.customer.email, data.customer.name, data.customer.phone),
        shipping_address=address.to_address() if address else None,
        pickup_location_id=(
            decode_id(data.pickup_location_id, "Location", ("pickupLocationId",))
            if data.pickup_location_id
            else None
        ),
        idempotency_key=data.idempotency_key,
        external_reference=data.external_reference,
        reservation_id=(
            decode_id(data.reservation_id, "Reservation", ("reservationId",))
            if data.reservation_id
            else None
        ),
        requested_date=data.requested_date,
        payment_status=vocabulary.PaymentStatus(data.payment_status),
        carried_out=data.carried_out,
    )


async def create_order(info: Info, input: CreateOrderInput) -> CreateOrderPayload:
    try:
        outcome = await orders.create_order(info.context.services, _request(input))
    except DomainError as error:
        return CreateOrderPayload(user_errors=to_user_errors(error))
    if outcome.written is not None:
        info.context.loaders.prime_new_order(outcome.order, outcome.written)
    return CreateOrderPayload(order=Order.from_row(outcome.order), replayed=outcome.replayed)
