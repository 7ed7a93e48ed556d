"""requestReturn: open a return for delivered or collected units, from any channel."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.return_payload import ReturnPayload, return_payload_of
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.services import returns
from omnigraph.services.returns import ReturnOutcome


@strawberry.input
class ReturnLineInput:
    line_number: int
    quantity: int


@strawberry.input
class RequestReturnInput:
    order_id: strawberry.ID
    lines: list[ReturnLineInput]
    reason: str | None = None
    channel: str | None = strawberry.field(
        default=None, description="Where the customer asked (WEB, POS, CALL_CENTER ...)."
    )
    idempotency_key: str | None = None


async def request_return(info: Info, input: RequestReturnInput) -> ReturnPayload:
    async def call() -> ReturnOutcome:
        order_id = decode_id(input.order_id, "Order", ("orderId",))
        lines = {line.line_number: line.quantity for line in input.lines}
        if len(lines) != len(input.lines):
            raise DomainError.single(("lines",), ErrorCode.DUPLICATE_LINE, "name each line once")
        return await returns.request_return(
            info.context.services,
            order_id,
            lines,
            reason=input.reason,
            channel=input.channel,
            idempotency_key=input.idempotency_key,
            actor=info.context.actor,
        )

    return await return_payload_of(call())
