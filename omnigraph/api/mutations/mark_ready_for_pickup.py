"""markReadyForPickup: a packed pickup or curbside order is staged for the customer."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.services import fulfilment_work
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.input
class MarkReadyForPickupInput:
    fulfillment_order_id: strawberry.ID


async def mark_ready_for_pickup(
    info: Info, input: MarkReadyForPickupInput
) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        return await fulfilment_work.ready_for_pickup(
            info.context.services, fo_id, info.context.actor
        )

    return await payload_of(call())
