"""Returns (RMA) as the API shows them."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import encode_id
from omnigraph.api.types.common import Money
from omnigraph.db import models
from omnigraph.domain.returns import Disposition, ReturnStatus

ReturnStatusEnum = strawberry.enum(ReturnStatus, name="ReturnStatus")
ReturnDisposition = strawberry.enum(
    Disposition, name="ReturnDisposition", description="What happens to returned units."
)


@strawberry.type
class ReturnLine:
    quantity: int
    disposition: ReturnDisposition | None  # type: ignore[valid-type]
    refund: Money | None
    order_line_id: strawberry.Private[int]

    @strawberry.field
    async def line_number(self, info: Info) -> int:
        line = await info.context.loaders.order_line_by_id.load(self.order_line_id)
        return int(line.line_number)


@strawberry.type(description="A return of some units of an order, and its refund.")
class Return:
    id: strawberry.ID
    status: ReturnStatusEnum  # type: ignore[valid-type]
    channel: str | None
    reason: str | None
    refund: Money | None = strawberry.field(description="Set once refunded, shipping included.")
    shipping_refund: Money | None
    lines: list[ReturnLine]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    location_id: strawberry.Private[int | None]

    @classmethod
    def from_rows(cls, row: models.Return, lines: list[models.ReturnLine]) -> "Return":
        def money(minor: int | None) -> Money | None:
            return Money.minor(minor, row.currency) if minor is not None else None

        return cls(
            id=strawberry.ID(encode_id("Return", row.id)),
            status=ReturnStatus(row.status),
            channel=row.channel,
            reason=row.reason,
            refund=money(row.refund_minor),
            shipping_refund=money(row.shipping_refund_minor),
            lines=[
                ReturnLine(
                    quantity=line.quantity,
                    disposition=Disposition(line.disposition) if line.disposition else None,
                    refund=money(line.refund_minor),
                    order_line_id=line.order_line_id,
                )
                for line in lines
            ],
            created_at=row.created_at,
            updated_at=row.updated_at,
            location_id=row.location_id,
        )

    @strawberry.field(description="Where it was received.")
    async def location_code(self, info: Info) -> str | None:
        if self.location_id is None:
            return None
        location = await info.context.loaders.location_by_id.load(self.location_id)
        return str(location.code)
