"""setPaymentStatus: mark an order's payment authorised, paid or on hold."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.types.common import PaymentStatus
from omnigraph.api.types.orders import Order
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.services import payments


@strawberry.input
class SetPaymentStatusInput:
    order_id: strawberry.ID
    status: PaymentStatus  # type: ignore[valid-type]
    reason: str | None = None


@strawberry.type
class SetPaymentStatusPayload:
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def set_payment_status(info: Info, input: SetPaymentStatusInput) -> SetPaymentStatusPayload:
    try:
        order_id = decode_id(input.order_id, "Order", ("orderId",))
        row = await payments.set_payment_status(
            info.context.services,
            order_id,
            vocabulary.PaymentStatus(input.status),
            input.reason,
            actor=info.context.actor,
        )
    except DomainError as error:
        return SetPaymentStatusPayload(user_errors=to_user_errors(error))
    return SetPaymentStatusPayload(order=Order.from_row(row))
