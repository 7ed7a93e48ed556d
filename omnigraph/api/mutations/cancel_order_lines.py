"""cancelOrderLines: cancel some units of some lines, until they ship."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.types.orders import Order
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.services import line_cancellation


@strawberry.input
class KeepLineInput:
    line_number: int
    keep_quantity: int = strawberry.field(
        description="Units of the line the customer keeps (0 cancels the line). Sent again, "
        "the same request cancels nothing more."
    )


@strawberry.input
class CancelOrderLinesInput:
    order_id: strawberry.ID
    lines: list[KeepLineInput]
    reason: str | None = None


@strawberry.type
class CancelOrderLinesPayload:
    order: Order | None = None
    replayed: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def cancel_order_lines(info: Info, input: CancelOrderLinesInput) -> CancelOrderLinesPayload:
    try:
        order_id = decode_id(input.order_id, "Order", ("orderId",))
        keep = {line.line_number: line.keep_quantity for line in input.lines}
        if not keep or len(keep) != len(input.lines):
            raise DomainError.single(
                ("lines",), ErrorCode.DUPLICATE_LINE, "name each line once, and at least one"
            )
        outcome = await line_cancellation.cancel_lines(
            info.context.services, order_id, keep, input.reason, info.context.actor
        )
    except DomainError as error:
        return CancelOrderLinesPayload(user_errors=to_user_errors(error))
    return CancelOrderLinesPayload(order=Order.from_row(outcome.order), replayed=outcome.replayed)
