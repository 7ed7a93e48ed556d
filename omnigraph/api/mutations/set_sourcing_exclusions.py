"""setSourcingExclusions: the locations and location types a channel is never sourced from."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.types.common import LocationType
from omnigraph.api.types.sourcing_rules import SourcingExclusion
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.services import sourcing_rules


@strawberry.input(description="Replaces the channel's exclusions; two empty lists remove them.")
class SourcingExclusionsInput:
    channel: str
    location_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    location_types: list[LocationType] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list
    )


@strawberry.type
class SourcingExclusionsPayload:
    exclusion: SourcingExclusion | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def set_sourcing_exclusions(
    info: Info, input: SourcingExclusionsInput
) -> SourcingExclusionsPayload:
    try:
        ids = [
            decode_id(value, "Location", ("locationIds", str(index)))
            for index, value in enumerate(input.location_ids)
        ]
        row = await sourcing_rules.set_exclusions(
            info.context.services,
            input.channel,
            ids,
            [vocabulary.LocationType(t) for t in input.location_types],
            actor=info.context.actor,
        )
    except DomainError as error:
        return SourcingExclusionsPayload(user_errors=to_user_errors(error))
    return SourcingExclusionsPayload(
        exclusion=SourcingExclusion.from_row(row) if row is not None else None
    )
