"""setSourcingMarginRule: prefer warehouses unless a store ships for enough less (admin)."""

from decimal import Decimal

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.types.common import LocationType
from omnigraph.api.types.sourcing_rules import SourcingMarginRule
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.services import sourcing_rules


@strawberry.input
class SourcingMarginRuleInput:
    threshold: Decimal = strawberry.field(
        description="Shipping from `over` must cost more than this above `prefer` to be refused."
    )
    prefer: LocationType = LocationType.DC  # type: ignore[valid-type]
    over: LocationType = LocationType.STORE  # type: ignore[valid-type]


@strawberry.type
class SourcingMarginRulePayload:
    rule: SourcingMarginRule | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def set_sourcing_margin_rule(
    info: Info, input: SourcingMarginRuleInput
) -> SourcingMarginRulePayload:
    services = info.context.services
    try:
        row = await sourcing_rules.set_margin_rule(
            services,
            input.threshold,
            vocabulary.LocationType(input.prefer),
            vocabulary.LocationType(input.over),
            actor=info.context.actor,
        )
    except DomainError as error:
        return SourcingMarginRulePayload(user_errors=to_user_errors(error))
    return SourcingMarginRulePayload(
        rule=SourcingMarginRule.from_row(row, services.settings.default_currency)
    )
