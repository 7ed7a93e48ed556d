"""rejectFulfillmentOrder: a location declines; its lines are re-sourced elsewhere."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.services import fulfilment_work
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.input
class RejectFulfillmentOrderInput:
    fulfillment_order_id: strawberry.ID
    reason: str | None = None


async def reject_fulfillment_order(
    info: Info, input: RejectFulfillmentOrderInput
) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        return await fulfilment_work.reject(
            info.context.services, fo_id, input.reason, info.context.actor
        )

    return await payload_of(call())
