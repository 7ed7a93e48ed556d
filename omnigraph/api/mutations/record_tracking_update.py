"""recordTrackingUpdate: a carrier (or its connector) reports where a parcel is."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.types.common import ShipmentStatus
from omnigraph.api.types.orders import Order, Shipment
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.services import shipments


@strawberry.input
class RecordTrackingUpdateInput:
    tracking_number: str
    status: ShipmentStatus  # type: ignore[valid-type]
    occurred_at: datetime.datetime
    description: str | None = None
    location: str | None = None


@strawberry.type
class RecordTrackingUpdatePayload:
    shipment: Shipment | None = None
    order: Order | None = None
    replayed: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def record_tracking_update(
    info: Info, input: RecordTrackingUpdateInput
) -> RecordTrackingUpdatePayload:
    try:
        if input.occurred_at.tzinfo is None:
            raise DomainError.single(
                ("occurredAt",), ErrorCode.INVALID, "occurredAt needs a UTC offset"
            )
        outcome = await shipments.record_tracking(
            info.context.services,
            input.tracking_number,
            vocabulary.ShipmentStatus(input.status),
            input.occurred_at,
            input.description,
            input.location,
            actor=info.context.actor,
        )
    except DomainError as error:
        return RecordTrackingUpdatePayload(user_errors=to_user_errors(error))
    return RecordTrackingUpdatePayload(
        shipment=Shipment.from_row(outcome.shipment),
        order=Order.from_row(outcome.order),
        replayed=outcome.replayed,
    )
