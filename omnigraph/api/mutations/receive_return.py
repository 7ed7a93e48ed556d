"""receiveReturn: returned units arrive at a location that takes returns."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.return_payload import ReturnPayload, return_payload_of
from omnigraph.services import returns
from omnigraph.services.returns import ReturnOutcome


@strawberry.input
class ReceiveReturnInput:
    return_id: strawberry.ID
    location_id: strawberry.ID


async def receive_return(info: Info, input: ReceiveReturnInput) -> ReturnPayload:
    async def call() -> ReturnOutcome:
        return_id = decode_id(input.return_id, "Return", ("returnId",))
        location_id = decode_id(input.location_id, "Location", ("locationId",))
        return await returns.receive_return(
            info.context.services, return_id, location_id, info.context.actor
        )

    return await return_payload_of(call())
