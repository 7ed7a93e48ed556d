"""Late orders for consoles: which milestone each missed, and when."""

import datetime

import strawberry

from omnigraph.api.connections import as_bad_input
from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.orders import Order
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.sla import Milestone
from omnigraph.services import sla

SlaMilestone = strawberry.enum(Milestone, name="SlaMilestone")


@strawberry.type(description="An open order that missed a milestone of its promise.")
class LateOrder:
    order: Order
    milestone: SlaMilestone  # type: ignore[valid-type]
    due_at: datetime.datetime
    detected_at: datetime.datetime


async def late_orders(
    info: Info,
    first: int = 50,
    milestones: list[SlaMilestone] | None = None,  # type: ignore[valid-type]
    channels: list[str] | None = None,
    location_ids: list[strawberry.ID] | None = None,
) -> list[LateOrder]:
    """Most overdue first; ``first`` is at most the page-size limit."""
    with as_bad_input():
        if not 0 < first <= info.context.services.settings.max_page_size:
            raise DomainError.single(
                ("first",),
                ErrorCode.OUT_OF_RANGE,
                f"first must be 1 to {info.context.services.settings.max_page_size}",
            )
        locations = [
            decode_id(value, "Location", ("locationIds", str(index)))
            for index, value in enumerate(location_ids or ())
        ]
    rows = await sla.late_orders(
        info.context.services,
        milestones=[Milestone(m) for m in milestones or ()],
        channels=channels or (),
        location_ids=locations,
        limit=first,
    )
    return [
        LateOrder(
            order=Order.from_row(row.order),
            milestone=row.milestone,
            due_at=row.due_at,
            detected_at=row.detected_at,
        )
        for row in rows
    ]
