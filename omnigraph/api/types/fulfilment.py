"""The payload every store and warehouse mutation returns."""

from collections.abc import Awaitable

import strawberry

from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.types.orders import FulfillmentOrder, Order, Shipment
from omnigraph.domain.errors import DomainError
from omnigraph.services.work_outcome import WorkOutcome


@strawberry.type(description="A fulfilment order after a store or warehouse action.")
class FulfillmentOrderPayload:
    fulfillment_order: FulfillmentOrder | None = None
    order: Order | None = None
    replayed: bool = strawberry.field(
        default=False, description="The action had already been done; nothing changed."
    )
    rerouted: list[FulfillmentOrder] = strawberry.field(
        default_factory=list,
        description="Fulfilment orders created elsewhere for re-routed units.",
    )
    shipments: list[Shipment] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, outcome: WorkOutcome) -> "FulfillmentOrderPayload":
        return cls(
            fulfillment_order=FulfillmentOrder.from_row(outcome.fulfilment),
            order=Order.from_row(outcome.order),
            replayed=outcome.replayed,
            rerouted=[FulfillmentOrder.from_row(row) for row in outcome.rerouted],
            shipments=[Shipment.from_row(row) for row in outcome.shipments],
        )


async def payload_of(call: Awaitable[WorkOutcome]) -> FulfillmentOrderPayload:
    """Await a service call; its refusal becomes ``userErrors``."""
    try:
        outcome = await call
    except DomainError as error:
        return FulfillmentOrderPayload(user_errors=to_user_errors(error))
    return FulfillmentOrderPayload.of(outcome)
