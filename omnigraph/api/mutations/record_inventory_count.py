"""recordInventoryCount: a store's or a WMS's cycle count for one location."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.domain.counts import CountLine, Discrepancy
from omnigraph.domain.errors import DomainError
from omnigraph.services import counts


@strawberry.input
class InventoryCountLineInput:
    sku: str
    quantity: int = strawberry.field(description="Units found, damaged ones included.")


@strawberry.input
class RecordInventoryCountInput:
    location_id: strawberry.ID
    counts: list[InventoryCountLineInput] = strawberry.field(
        description="The SKUs counted; SKUs left out are not touched."
    )
    external_id: str = strawberry.field(
        description="The sender's id for this count: sending it again changes nothing and"
        " returns the same discrepancies."
    )
    source: str = strawberry.field(description="The system that counted (a WMS, a store app).")
    counted_at: datetime.datetime | None = strawberry.field(
        default=None,
        description="When the shelves were counted. Stock moves recorded after it are kept"
        " on top of the count.",
    )


@strawberry.type(description="A counted quantity that differs from the ledger.")
class InventoryCountDiscrepancy:
    sku: str
    expected: int = strawberry.field(description="On hand according to the ledger.")
    counted: int
    delta: int = strawberry.field(description="counted - expected.")
    shortfall: int = strawberry.field(
        description="Units held by orders and checkouts that the counted stock cannot cover."
    )

    @classmethod
    def of(cls, item: Discrepancy) -> "InventoryCountDiscrepancy":
        return cls(
            sku=item.sku,
            expected=item.expected,
            counted=item.counted,
            delta=item.delta,
            shortfall=item.shortfall,
        )


@strawberry.type
class RecordInventoryCountPayload:
    discrepancies: list[InventoryCountDiscrepancy] = strawberry.field(default_factory=list)
    replayed: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def record_inventory_count(
    info: Info, input: RecordInventoryCountInput
) -> RecordInventoryCountPayload:
    """A count is applied whole or refused whole: any userError means nothing changed."""
    try:
        result = await counts.record_inventory_count(
            info.context.services,
            counts.RecordCount(
                location_id=decode_id(input.location_id, "Location", ("locationId",)),
                lines=[CountLine(line.sku, line.quantity) for line in input.counts],
                source=input.source,
                external_id=input.external_id,
                counted_at=input.counted_at,
                actor=info.context.actor,
            ),
        )
    except DomainError as error:
        return RecordInventoryCountPayload(user_errors=to_user_errors(error))
    return RecordInventoryCountPayload(
        discrepancies=[InventoryCountDiscrepancy.of(item) for item in result.discrepancies],
        replayed=result.replayed,
    )
