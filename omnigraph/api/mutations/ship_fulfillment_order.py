"""shipFulfillmentOrder: buy a label per package and hand the parcels to the carrier."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.services import shipments
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.input
class ShipFulfillmentOrderInput:
    fulfillment_order_id: strawberry.ID
    carrier: str | None = strawberry.field(
        default=None, description="A carrier code; the cheapest for the service when omitted."
    )
    service: str | None = strawberry.field(
        default=None, description="A carrier service; the order's delivery method's by default."
    )


async def ship_fulfillment_order(
    info: Info, input: ShipFulfillmentOrderInput
) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        return await shipments.ship(
            info.context.services,
            fo_id,
            carrier_code=input.carrier,
            service=input.service,
            actor=info.context.actor,
        )

    return await payload_of(call())
