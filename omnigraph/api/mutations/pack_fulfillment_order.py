"""packFulfillmentOrder: pack every picked unit into one or more packages."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.services import fulfilment_work
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.input
class PackageLineInput:
    line_number: int
    quantity: int


@strawberry.input
class PackageInput:
    lines: list[PackageLineInput]
    weight_grams: int | None = strawberry.field(
        default=None, description="Weighed; computed from product weights when omitted."
    )


@strawberry.input
class PackFulfillmentOrderInput:
    fulfillment_order_id: strawberry.ID
    packages: list[PackageInput]


async def pack_fulfillment_order(
    info: Info, input: PackFulfillmentOrderInput
) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        contents = [
            {line.line_number: line.quantity for line in package.lines}
            for package in input.packages
        ]
        return await fulfilment_work.pack_fulfilment(
            info.context.services,
            fo_id,
            contents,
            [package.weight_grams for package in input.packages],
            info.context.actor,
        )

    return await payload_of(call())
