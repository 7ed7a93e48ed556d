"""The payload of the return mutations."""

from collections.abc import Awaitable

import strawberry

from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.types.orders import Order
from omnigraph.api.types.returns import Return
from omnigraph.domain.errors import DomainError
from omnigraph.services.returns import ReturnOutcome


@strawberry.type
class ReturnPayload:
    return_: Return | None = strawberry.field(default=None, name="return")
    order: Order | None = None
    replayed: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def return_payload_of(call: Awaitable[ReturnOutcome]) -> ReturnPayload:
    """Await a returns service call; its refusal becomes ``userErrors``."""
    try:
        outcome = await call
    except DomainError as error:
        return ReturnPayload(user_errors=to_user_errors(error))
    return ReturnPayload(
        return_=Return.from_rows(outcome.ret, list(outcome.lines)),
        order=Order.from_row(outcome.order),
        replayed=outcome.replayed,
    )
