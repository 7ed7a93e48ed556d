"""cancelOrder: cancel a whole order before it ships and give its stock back."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.types.orders import Order
from omnigraph.domain.errors import DomainError
from omnigraph.services import orders


@strawberry.input
class CancelOrderInput:
    order_id: strawberry.ID
    reason: str | None = None


@strawberry.type
class CancelOrderPayload:
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def cancel_order(info: Info, input: CancelOrderInput) -> CancelOrderPayload:
    try:
        order_id = decode_id(input.order_id, "Order", ("orderId",))
        row = await orders.cancel_order(
            info.context.services, order_id, input.reason, actor=info.context.actor
        )
    except DomainError as error:
        return CancelOrderPayload(user_errors=to_user_errors(error))
    return CancelOrderPayload(order=Order.from_row(row))
