"""setProductBin: say where a product sits at a location, so pick lists show it."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.domain.errors import DomainError
from omnigraph.services import bins


@strawberry.input
class SetProductBinInput:
    location_id: strawberry.ID
    sku: str
    bin: str | None = strawberry.field(description="A bin or aisle; null forgets it.")


@strawberry.type
class SetProductBinPayload:
    sku: str | None = None
    bin: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def set_product_bin(info: Info, input: SetProductBinInput) -> SetProductBinPayload:
    try:
        location_id = decode_id(input.location_id, "Location", ("locationId",))
        view = await bins.set_bin(
            info.context.services, location_id, input.sku, input.bin, info.context.actor
        )
    except DomainError as error:
        return SetProductBinPayload(user_errors=to_user_errors(error))
    return SetProductBinPayload(sku=view.sku, bin=view.bin)
