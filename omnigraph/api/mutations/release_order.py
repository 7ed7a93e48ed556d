"""releaseOrder: send an order to its locations now, even inside its remorse window."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.types.orders import Order
from omnigraph.domain.errors import DomainError
from omnigraph.services import release


@strawberry.input
class ReleaseOrderInput:
    order_id: strawberry.ID
    reason: str | None = None


@strawberry.type
class ReleaseOrderPayload:
    order: Order | None = None
    replayed: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def release_order(info: Info, input: ReleaseOrderInput) -> ReleaseOrderPayload:
    try:
        order_id = decode_id(input.order_id, "Order", ("orderId",))
        outcome = await release.release_order(
            info.context.services, order_id, actor=info.context.actor, reason=input.reason
        )
    except DomainError as error:
        return ReleaseOrderPayload(user_errors=to_user_errors(error))
    return ReleaseOrderPayload(order=Order.from_row(outcome.order), replayed=outcome.replayed)
