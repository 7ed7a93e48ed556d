"""setSourcingRule: create or replace how a delivery method is sourced (admin)."""

from decimal import Decimal

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.types.common import DeliveryMethod, LocationType
from omnigraph.api.types.sourcing_rules import SourcingMethodRule
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.services import sourcing_rules


@strawberry.input
class MinStockInput:
    location_type: LocationType  # type: ignore[valid-type]
    quantity: int


@strawberry.input(description="Replaces the rule for (channel, method); omitted fields are unset.")
class SourcingRuleInput:
    method: DeliveryMethod  # type: ignore[valid-type]
    channel: str | None = strawberry.field(
        default=None, description="A channel code; null sets the rule for every channel."
    )
    max_distance_km: float | None = None
    min_stock: list[MinStockInput] | None = None
    promise_business_days: int | None = strawberry.field(
        default=None, description="The SLA in business days (0: today); null promises no date."
    )
    max_packages: int | None = strawberry.field(
        default=None, description="1 to 3; null: 1 for collection and same day, else 3."
    )
    split_penalty: Decimal | None = strawberry.field(
        default=None, description="Added per package beyond the first, in the shop's currency."
    )
    allow_backorder: bool = False


@strawberry.type
class SourcingRulePayload:
    rule: SourcingMethodRule | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def set_sourcing_rule(info: Info, input: SourcingRuleInput) -> SourcingRulePayload:
    services = info.context.services
    try:
        row = await sourcing_rules.set_method_rule(
            services,
            sourcing_rules.MethodRuleInput(
                method=vocabulary.DeliveryMethod(input.method),
                channel=input.channel,
                max_distance_km=input.max_distance_km,
                min_stock={
                    vocabulary.LocationType(m.location_type).value: m.quantity
                    for m in input.min_stock or ()
                },
                promise_business_days=input.promise_business_days,
                max_packages=input.max_packages,
                split_penalty=input.split_penalty,
                allow_backorder=input.allow_backorder,
            ),
            actor=info.context.actor,
        )
    except DomainError as error:
        return SourcingRulePayload(user_errors=to_user_errors(error))
    currency = services.settings.default_currency
    return SourcingRulePayload(rule=SourcingMethodRule.from_row(row, currency))
