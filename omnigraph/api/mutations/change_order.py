"""changeOrder: change lines, address, method or pickup store inside the remorse window."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.inputs import AddressInput, LineInput
from omnigraph.api.types.common import DeliveryMethod
from omnigraph.api.types.orders import Order
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.domain.orders import LineRequest
from omnigraph.services import order_changes


@strawberry.input(description="Only what changes; omitted fields keep the order's values.")
class ChangeOrderInput:
    order_id: strawberry.ID
    lines: list[LineInput] | None = strawberry.field(
        default=None, description="The whole new cart: lines left out are removed."
    )
    shipping_address: AddressInput | None = None
    delivery_method: DeliveryMethod | None = None  # type: ignore[valid-type]
    pickup_location_id: strawberry.ID | None = None
    reason: str | None = None


@strawberry.type
class ChangeOrderPayload:
    order: Order | None = strawberry.field(
        default=None, description="With its new promise (`promised`), totals and sourcing."
    )
    replayed: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _change(data: ChangeOrderInput) -> order_changes.OrderChange:
    address = data.shipping_address
    return order_changes.OrderChange(
        lines=[LineRequest(line.sku, line.quantity) for line in data.lines]
        if data.lines is not None
        else None,
        shipping_address=address.to_address() if address else None,
        method=vocabulary.DeliveryMethod(data.delivery_method) if data.delivery_method else None,
        pickup_location_id=decode_id(data.pickup_location_id, "Location", ("pickupLocationId",))
        if data.pickup_location_id
        else None,
    )


async def change_order(info: Info, input: ChangeOrderInput) -> ChangeOrderPayload:
    try:
        order_id = decode_id(input.order_id, "Order", ("orderId",))
        outcome = await order_changes.change_order(
            info.context.services, order_id, _change(input), input.reason, info.context.actor
        )
    except DomainError as error:
        return ChangeOrderPayload(user_errors=to_user_errors(error))
    return ChangeOrderPayload(order=Order.from_row(outcome.order), replayed=outcome.replayed)
