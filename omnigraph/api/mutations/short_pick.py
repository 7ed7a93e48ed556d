"""shortPick: units of a line cannot be picked; they are re-routed or backordered."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.domain.fulfilment import ShortReason
from omnigraph.services import picking
from omnigraph.services.work_outcome import WorkOutcome

ShortPickReason = strawberry.enum(ShortReason, description="Why units could not be picked.")


@strawberry.input
class ShortPickInput:
    fulfillment_order_id: strawberry.ID
    line_number: int
    quantity: int
    reason: ShortPickReason  # type: ignore[valid-type]


async def short_pick(info: Info, input: ShortPickInput) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        return await picking.short_pick_line(
            info.context.services,
            fo_id,
            input.line_number,
            input.quantity,
            ShortReason(input.reason),
            info.context.actor,
        )

    return await payload_of(call())
