"""scanItem: a picker scans a barcode (or types a SKU) for a fulfilment order."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload, payload_of
from omnigraph.services import picking
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.input
class ScanItemInput:
    fulfillment_order_id: strawberry.ID
    barcode: str = strawberry.field(description="The scanned barcode, or the SKU.")
    quantity: int = 1
    scan_id: str | None = strawberry.field(
        default=None, description="The scanner's id for this scan: sent again, it counts once."
    )


async def scan_item(info: Info, input: ScanItemInput) -> FulfillmentOrderPayload:
    async def call() -> WorkOutcome:
        fo_id = decode_id(input.fulfillment_order_id, "FulfillmentOrder", ("fulfillmentOrderId",))
        return await picking.scan_item(
            info.context.services,
            fo_id,
            input.barcode,
            input.quantity,
            scan_id=input.scan_id,
            actor=info.context.actor,
        )

    return await payload_of(call())
