"""deleteSourcingMarginRule: cost alone decides between warehouses and stores again."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.domain.errors import DomainError
from omnigraph.services import sourcing_rules


@strawberry.type
class DeleteSourcingMarginRulePayload:
    deleted: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def delete_sourcing_margin_rule(info: Info) -> DeleteSourcingMarginRulePayload:
    try:
        await sourcing_rules.delete_margin_rule(info.context.services, actor=info.context.actor)
    except DomainError as error:
        return DeleteSourcingMarginRulePayload(user_errors=to_user_errors(error))
    return DeleteSourcingMarginRulePayload(deleted=True)
