"""adjustInventory: add to or take from one quantity state (receipt, shrinkage, damage)."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.types.common import InventoryBucket, MovementReason
from omnigraph.api.types.inventory import InventoryLevel
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.services import backorders, inventory


@strawberry.input
class AdjustInventoryInput:
    location_id: strawberry.ID
    sku: str
    delta: int
    bucket: InventoryBucket = vocabulary.InventoryBucket.ON_HAND  # type: ignore[valid-type]
    reason: MovementReason = vocabulary.MovementReason.ADJUSTMENT  # type: ignore[valid-type]
    external_id: str | None = strawberry.field(
        default=None,
        description="The sender's id for this change: applying it twice changes nothing.",
    )
    source: str = strawberry.field(default="api", description="The system the change comes from.")
    note: str | None = None


@strawberry.type
class AdjustInventoryPayload:
    inventory_level: InventoryLevel | None = None
    replayed: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def adjust_inventory(info: Info, input: AdjustInventoryInput) -> AdjustInventoryPayload:
    try:
        view = await inventory.adjust_inventory(
            info.context.services,
            inventory.AdjustInventory(
                location_id=decode_id(input.location_id, "Location", ("locationId",)),
                sku=input.sku,
                delta=input.delta,
                bucket=vocabulary.InventoryBucket(input.bucket),
                reason=vocabulary.MovementReason(input.reason),
                source=input.source,
                external_id=input.external_id,
                actor=info.context.actor,
                note=input.note,
            ),
        )
    except DomainError as error:
        return AdjustInventoryPayload(user_errors=to_user_errors(error))
    # Stock on hand came in: orders waiting for it are filled, and the level shows it.
    view = await backorders.fill_after_stock_change(
        info.context.services, view, vocabulary.InventoryBucket(input.bucket)
    )
    return AdjustInventoryPayload(
        inventory_level=InventoryLevel.of(view.stock, view.location_id, view.product_id),
        replayed=view.replayed,
    )
