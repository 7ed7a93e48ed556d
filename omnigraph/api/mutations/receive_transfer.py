"""receiveTransfer: the receiving store confirms a transfer arrived."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.services import transfers
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.input
class ReceiveTransferInput:
    fulfillment_order_id: strawberry.ID


async def receive_transfer(info: Info, input: ReceiveTransferInput) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        return await transfers.receive_transfer(info.context.services, fo_id, info.context.actor)

    return await payload_of(call())
