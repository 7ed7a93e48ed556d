"""An order's audit trail as the API shows it."""

import datetime

import strawberry
from strawberry.scalars import JSON

from omnigraph.db import models
from omnigraph.services.timeline import Subject

TimelineSubject = strawberry.enum(Subject, description="What changed state.")


@strawberry.type(description="One state change of an order or of something that belongs to it.")
class TimelineEntry:
    subject_type: TimelineSubject  # type: ignore[valid-type]
    subject_id: strawberry.ID = strawberry.field(
        description="The database id of the order, fulfilment order, shipment or backorder."
    )
    from_status: str | None = strawberry.field(description="None for something just created.")
    to_status: str
    actor: str | None
    reason: str | None
    details: JSON
    occurred_at: datetime.datetime

    @classmethod
    def from_row(cls, row: models.TimelineEntry) -> "TimelineEntry":
        return cls(
            subject_type=Subject(row.subject_type),
            subject_id=strawberry.ID(str(row.subject_id)),
            from_status=row.from_status,
            to_status=row.to_status,
            actor=row.actor,
            reason=row.reason,
            details=JSON(dict(row.details or {})),
            occurred_at=row.occurred_at,
        )
