"""inspectReturn: a disposition per line moves the stock, and the refund is issued."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import decode_id
from omnigraph.api.types.return_payload import ReturnPayload, return_payload_of
from omnigraph.api.types.returns import ReturnDisposition
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.returns import Disposition
from omnigraph.services import returns
from omnigraph.services.returns import ReturnOutcome


@strawberry.input
class InspectedLineInput:
    line_number: int
    disposition: ReturnDisposition  # type: ignore[valid-type]


@strawberry.input
class InspectReturnInput:
    return_id: strawberry.ID
    lines: list[InspectedLineInput]


async def inspect_return(info: Info, input: InspectReturnInput) -> ReturnPayload:
    async def call() -> ReturnOutcome:
        return_id = decode_id(input.return_id, "Return", ("returnId",))
        dispositions = {line.line_number: Disposition(line.disposition) for line in input.lines}
        if len(dispositions) != len(input.lines):
            raise DomainError.single(("lines",), ErrorCode.DUPLICATE_LINE, "name each line once")
        return await returns.inspect_return(
            info.context.services, return_id, dispositions, info.context.actor
        )

    return await return_payload_of(call())
