"""acceptFulfillmentOrder: a location takes a released fulfilment order on."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.services import fulfilment_work
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.input
class AcceptFulfillmentOrderInput:
    fulfillment_order_id: strawberry.ID


async def accept_fulfillment_order(
    info: Info, input: AcceptFulfillmentOrderInput
) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        return await fulfilment_work.accept(info.context.services, fo_id, info.context.actor)

    return await payload_of(call())
