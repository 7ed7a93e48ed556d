"""Admin mutations for inventory rules: safety stock, channel exposure, protected stock,
and customer tiers."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.types.common import LocationType
from omnigraph.api.types.stock_rules import CustomerTier
from omnigraph.domain import stock_rules as domain
from omnigraph.domain.errors import DomainError
from omnigraph.services import stock_rules


@strawberry.input(description="Give id to replace a rule; leave it out to add one.")
class SafetyStockRuleInput:
    quantity: int
    id: int | None = None
    location_id: strawberry.ID | None = None
    sku: str | None = None
    category: str | None = None
    location_type: LocationType | None = None  # type: ignore[valid-type]
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None


@strawberry.type
class RuleChangePayload:
    rule_id: int | None = None
    levels_changed: int = strawberry.field(
        default=0, description="Levels whose safety stock moved."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def set_safety_stock_rule(info: Info, input: SafetyStockRuleInput) -> RuleChangePayload:
    try:
        change = await stock_rules.set_safety_stock_rule(
            info.context.services,
            stock_rules.SafetyStockRuleInput(
                quantity=input.quantity,
                rule_id=input.id,
                location_id=decode_id(input.location_id, "Location", ("locationId",))
                if input.location_id
                else None,
                sku=input.sku,
                category=input.category,
                location_type=input.location_type.value if input.location_type else None,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
            ),
            actor=info.context.actor,
        )
    except DomainError as error:
        return RuleChangePayload(user_errors=to_user_errors(error))
    return RuleChangePayload(rule_id=change.rule_id, levels_changed=change.levels_changed)


@strawberry.input
class DeleteRuleInput:
    id: int


async def delete_safety_stock_rule(info: Info, input: DeleteRuleInput) -> RuleChangePayload:
    try:
        change = await stock_rules.delete_safety_stock_rule(
            info.context.services, input.id, actor=info.context.actor
        )
    except DomainError as error:
        return RuleChangePayload(user_errors=to_user_errors(error))
    return RuleChangePayload(levels_changed=change.levels_changed)


@strawberry.input(description="A percent of the network's available stock, a cap, or both.")
class ChannelExposureRuleInput:
    channel: str
    percent: int | None = None
    cap: int | None = None
    sku: str | None = None
    category: str | None = None
    id: int | None = None


async def set_channel_exposure_rule(
    info: Info, input: ChannelExposureRuleInput
) -> RuleChangePayload:
    try:
        change = await stock_rules.set_exposure_rule(
            info.context.services,
            stock_rules.ExposureRuleInput(
                input.channel, input.percent, input.cap, input.sku, input.category, input.id
            ),
            actor=info.context.actor,
        )
    except DomainError as error:
        return RuleChangePayload(user_errors=to_user_errors(error))
    return RuleChangePayload(rule_id=change.rule_id)


async def delete_channel_exposure_rule(info: Info, input: DeleteRuleInput) -> RuleChangePayload:
    try:
        await stock_rules.delete_exposure_rule(info.context.services, input.id)
    except DomainError as error:
        return RuleChangePayload(user_errors=to_user_errors(error))
    return RuleChangePayload()


@strawberry.input
class ProtectedStockRuleInput:
    quantity: int
    tiers: list[CustomerTier]  # type: ignore[valid-type]
    sku: str | None = None
    category: str | None = None
    id: int | None = None


async def set_protected_stock_rule(info: Info, input: ProtectedStockRuleInput) -> RuleChangePayload:
    try:
        change = await stock_rules.set_protected_rule(
            info.context.services,
            stock_rules.ProtectedRuleInput(
                input.quantity,
                frozenset(domain.CustomerTier(t) for t in input.tiers),
                input.sku,
                input.category,
                input.id,
            ),
            actor=info.context.actor,
        )
    except DomainError as error:
        return RuleChangePayload(user_errors=to_user_errors(error))
    return RuleChangePayload(rule_id=change.rule_id)


async def delete_protected_stock_rule(info: Info, input: DeleteRuleInput) -> RuleChangePayload:
    try:
        await stock_rules.delete_protected_rule(info.context.services, input.id)
    except DomainError as error:
        return RuleChangePayload(user_errors=to_user_errors(error))
    return RuleChangePayload()


@strawberry.input
class SetCustomerTierInput:
    email: str
    tier: CustomerTier  # type: ignore[valid-type]


@strawberry.type
class SetCustomerTierPayload:
    email: str | None = None
    tier: CustomerTier | None = None  # type: ignore[valid-type]
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def set_customer_tier(info: Info, input: SetCustomerTierInput) -> SetCustomerTierPayload:
    try:
        customer = await stock_rules.set_customer_tier(
            info.context.services, input.email, domain.CustomerTier(input.tier)
        )
    except DomainError as error:
        return SetCustomerTierPayload(user_errors=to_user_errors(error))
    return SetCustomerTierPayload(email=customer.email, tier=domain.CustomerTier(customer.tier))
