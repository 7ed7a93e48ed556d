"""handOverFulfillmentOrder: give a staged order to the customer after checking who it is."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.services import fulfilment_work
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.input(
    description="Either the pickup code, or the order number with the customer's name."
)
class HandOverFulfillmentOrderInput:
    fulfillment_order_id: strawberry.ID
    pickup_code: str | None = None
    order_number: str | None = None
    customer_name: str | None = None


async def hand_over_fulfillment_order(
    info: Info, input: HandOverFulfillmentOrderInput
) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        return await fulfilment_work.hand_over(
            info.context.services,
            fo_id,
            pickup_code=input.pickup_code,
            order_number_given=input.order_number,
            customer_name=input.customer_name,
            actor=info.context.actor,
        )

    return await payload_of(call())
