"""deleteSourcingRule: remove a method's rule for a channel (or for all); defaults apply again."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.types.common import DeliveryMethod
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.services import sourcing_rules


@strawberry.input
class DeleteSourcingRuleInput:
    method: DeliveryMethod  # type: ignore[valid-type]
    channel: str | None = None


@strawberry.type
class DeleteSourcingRulePayload:
    deleted: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def delete_sourcing_rule(
    info: Info, input: DeleteSourcingRuleInput
) -> DeleteSourcingRulePayload:
    try:
        await sourcing_rules.delete_method_rule(
            info.context.services,
            vocabulary.DeliveryMethod(input.method),
            input.channel,
            actor=info.context.actor,
        )
    except DomainError as error:
        return DeleteSourcingRulePayload(user_errors=to_user_errors(error))
    return DeleteSourcingRulePayload(deleted=True)
