"""Returns through any channel: request (authorised when the units were delivered or
collected), receive at any location that takes returns, inspect with a disposition per
line (stock moves at the receiving location), and refund.

The refund is computed by ``domain.refunds`` from what each line paid and what earlier
returns already refunded, so a line can never be refunded past what was bought.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from omnigraph.db.mapping import capabilities_of, level_of
from omnigraph.db.models import (
    FulfillmentOrder,
    FulfillmentOrderLine,
    Location,
    Order,
    OrderLine,
    Product,
    Return,
    ReturnLine,
)
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.lifecycle import check_transition
from omnigraph.domain.money import Money
from omnigraph.domain.orders import order_number
from omnigraph.domain.refunds import (
    PaidLine,
    PaidOrder,
    Refund,
    ShippingRefundRule,
    compute_refund,
)
from omnigraph.domain.returns import (
    RETURN_TRANSITIONS,
    Disposition,
    ReturnStatus,
    check_returnable,
    plan_return,
)
from omnigraph.domain.vocabulary import Capability, FulfillmentKind, FulfillmentStatus
from omnigraph.services.inventory import apply_change, lock_levels
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.transitions import locked_order, move_row
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

R = ReturnStatus
_WITH_CUSTOMER = (FulfillmentStatus.DELIVERED.value, FulfillmentStatus.PICKED_UP.value)
_FIELD = ("returnId",)


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    ret: Return
    order: Order
    lines: tuple[ReturnLine, ...]
    replayed: bool = False


async def _outcome(
    uow: UnitOfWork, ret: Return, order: Order, replayed: bool = False
) -> ReturnOutcome:
    await uow.session.flush()
    lines = await uow.session.scalars(
        select(ReturnLine).where(ReturnLine.return_id == ret.id).order_by(ReturnLine.id)
    )
    return ReturnOutcome(ret, order, tuple(lines), replayed)


def _move(
    uow: UnitOfWork, ret: Return, target: ReturnStatus, reason: str, **details: object
) -> None:
    move_row(
        uow,
        ret,
        target,
        RETURN_TRANSITIONS,
        kind="return",
        subject=Subject.RETURN,
        order_id=ret.order_id,
        reason=reason,
        details=details,
        field=_FIELD,
    )


async def _returnable(uow: UnitOfWork, order: Order) -> dict[int, int]:
    """Units per order line the customer has (delivered or collected), not yet returned."""
    handed = await uow.session.execute(
        select(FulfillmentOrderLine.order_line_id, FulfillmentOrderLine.quantity)
        .join(FulfillmentOrder, FulfillmentOrder.id == FulfillmentOrderLine.fulfillment_order_id)
        .where(
            FulfillmentOrder.order_id == order.id,
            FulfillmentOrder.status.in_(_WITH_CUSTOMER),
            FulfillmentOrder.kind != FulfillmentKind.TRANSFER.value,
        )
    )
    units: dict[int, int] = {}
    for line_id, quantity in handed:
        units[line_id] = units.get(line_id, 0) + quantity
    returned = await uow.session.execute(
        select(ReturnLine.order_line_id, ReturnLine.quantity)
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order.id, Return.status != R.CLOSED.value)
    )
    for line_id, quantity in returned:
        units[line_id] = units.get(line_id, 0) - quantity
    return units


async def request_return(
    services: Services,
    order_id: int,
    lines: Mapping[int, int],
    *,
    reason: str | None = None,
    channel: str | None = None,
    idempotency_key: str | None = None,
    actor: str | None = None,
) -> ReturnOutcome:
    """Open a return for units (by order line number) the customer has; it is authorised at
    once. The same idempotency key returns the first return; with other lines it is an
    IDEMPOTENCY_CONFLICT."""
    async with services.unit_of_work(actor=actor) as uow:
        order = await locked_order(uow, order_id)
        by_number = {
            line.line_number: line
            for line in await uow.session.scalars(
                select(OrderLine).where(OrderLine.order_id == order.id)
            )
        }
        fields = {number: ("lines", str(i), "quantity") for i, number in enumerate(lines)}
        unknown = [
            Problem(("lines", str(i), "lineNumber"), ErrorCode.NOT_FOUND, f"no line {number}")
            for i, number in enumerate(lines)
            if number not in by_number
        ]
        if unknown:
            raise DomainError(unknown)
        wanted = {by_number[number].id: qty for number, qty in lines.items()}
        if idempotency_key is not None:
            previous = await uow.session.scalar(
                select(Return).where(
                    Return.order_id == order.id, Return.idempotency_key == idempotency_key
                )
            )
            if previous is not None:
                rows = await uow.session.scalars(
                    select(ReturnLine).where(ReturnLine.return_id == previous.id)
                )
                if {row.order_line_id: row.quantity for row in rows} != wanted:
                    raise DomainError.single(
                        ("idempotencyKey",),
                        ErrorCode.IDEMPOTENCY_CONFLICT,
                        "this idempotency key was already used for another return",
                    )
                return await _outcome(uow, previous, order, replayed=True)
        check_returnable(
            wanted,
            await _returnable(uow, order),
            {by_number[number].id: fields[number] for number in lines},
        )
        ret = Return(
            order_id=order.id,
            status=R.REQUESTED.value,
            channel=channel,
            reason=reason,
            idempotency_key=idempotency_key,
            currency=order.currency,
            created_at=uow.now(),
            updated_at=uow.now(),
        )
        uow.session.add(ret)
        await uow.session.flush()
        uow.session.add_all(
            ReturnLine(return_id=ret.id, order_line_id=line_id, quantity=qty)
            for line_id, qty in wanted.items()
        )
        record_change(
            uow,
            order_id=order.id,
            subject=Subject.RETURN,
            subject_id=ret.id,
            before=None,
            after=R.REQUESTED.value,
            reason=reason,
            details={
                "channel": channel,
                "lines": [{"lineNumber": n, "quantity": q} for n, q in lines.items()],
            },
        )
        _move(uow, ret, R.AUTHORIZED, "the units were delivered or collected")
        await uow.session.flush()
        outcome = await _outcome(uow, ret, order)
        await uow.commit()
        return outcome


async def _locked_return(uow: UnitOfWork, return_id: int) -> tuple[Return, Order]:
    order_id = await uow.session.scalar(select(Return.order_id).where(Return.id == return_id))
    if order_id is None:
        raise DomainError.single(_FIELD, ErrorCode.NOT_FOUND, "no such return")
    order = await locked_order(uow, order_id)
    ret = await uow.session.get(Return, return_id)
    assert ret is not None
    return ret, order


async def receive_return(
    services: Services, return_id: int, location_id: int, actor: str | None = None
) -> ReturnOutcome:
    """The parcel or the customer arrives at a location that takes returns (any one: buy
    online, return in store): AUTHORIZED -> RECEIVED."""
    async with services.unit_of_work(actor=actor) as uow:
        ret, order = await _locked_return(uow, return_id)
        if ret.status == R.RECEIVED.value and ret.location_id == location_id:
            return await _outcome(uow, ret, order, replayed=True)
        location = await uow.session.get(Location, location_id)
        if location is None:
            raise DomainError.single(
                ("locationId",), ErrorCode.UNKNOWN_LOCATION, "unknown location"
            )
        if Capability.RETURNS not in capabilities_of(location):
            raise DomainError.single(
                ("locationId",), ErrorCode.INVALID, f"{location.code} does not take returns"
            )
        _move(uow, ret, R.RECEIVED, f"received at {location.code}", locationId=location.id)
        ret.location_id = location.id
        outcome = await _outcome(uow, ret, order)
        await uow.commit()
        return outcome


async def inspect_return(
    services: Services,
    return_id: int,
    dispositions: Mapping[int, Disposition],
    actor: str | None = None,
) -> ReturnOutcome:
    """Inspect every line (by order line number) with a disposition, move the stock at the
    receiving location, and refund: RECEIVED -> INSPECTED -> REFUNDED. Sent again once
    refunded, it changes nothing."""
    async with services.unit_of_work(actor=actor) as uow:
        ret, order = await _locked_return(uow, return_id)
        rows = [
            (row, line, product)
            for row, line, product in await uow.session.execute(
                select(ReturnLine, OrderLine, Product)
                .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
                .join(Product, Product.id == OrderLine.product_id)
                .where(ReturnLine.return_id == ret.id)
                .order_by(OrderLine.line_number)
            )
        ]
        if ret.status == R.REFUNDED.value and all(
            row.disposition == dispositions.get(line.line_number) for row, line, _ in rows
        ):
            return await _outcome(uow, ret, order, replayed=True)
        check_transition("return", RETURN_TRANSITIONS, R(ret.status), R.INSPECTED, _FIELD)
        numbers = {line.line_number for _, line, _ in rows}
        problems = [
            Problem(("lines",), ErrorCode.REQUIRED, f"line {number} needs a disposition")
            for number in sorted(numbers - set(dispositions))
        ] + [
            Problem(("lines",), ErrorCode.NOT_FOUND, f"line {number} is not on this return")
            for number in sorted(set(dispositions) - numbers)
        ]
        if problems:
            raise DomainError(problems)
        assert ret.location_id is not None  # RECEIVED sets it
        for row, line, product in rows:
            disposition = dispositions[line.line_number]
            row.disposition = disposition.value
            levels = await lock_levels(uow, ret.location_id, [product.id], create=[product.id])
            level = levels[product.id]
            for step in plan_return(level_of(level), row.quantity, disposition):
                await apply_change(
                    uow,
                    level,
                    product.sku,
                    step.bucket,
                    step.after,
                    step.delta,
                    step.reason,
                    source="omnigraph",
                    external_id=None,
                    actor=uow.actor,
                    note=f"return {ret.id} of {order_number(order.id)}: {disposition.value}",
                )
        _move(
            uow,
            ret,
            R.INSPECTED,
            "inspected",
            dispositions={str(n): d.value for n, d in sorted(dispositions.items())},
        )
        refund = await _refund(uow, order, ret, rows)
        _move(
            uow,
            ret,
            R.REFUNDED,
            "refund issued",
            refund={"amount": str(refund.total.amount), "currencyCode": refund.total.currency},
        )
        await uow.session.flush()
        outcome = await _outcome(uow, ret, order)
        await uow.commit()
        return outcome


async def _refund(
    uow: UnitOfWork,
    order: Order,
    ret: Return,
    rows: Sequence[tuple[ReturnLine, OrderLine, Product]],
) -> Refund:
    """What this return refunds, given what earlier refunded returns of the order took."""
    currency = order.currency
    lines = await uow.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    paid = PaidOrder(
        currency,
        [
            PaidLine(
                line.id,
                Money(line.unit_price_minor, currency),
                line.quantity - line.quantity_cancelled,
            )
            for line in lines
            if line.quantity > line.quantity_cancelled
        ],
        Money.zero(currency),
        Money(order.shipping_minor, currency),
    )
    already: dict[int, int] = {}
    for line_id, quantity in await uow.session.execute(
        select(ReturnLine.order_line_id, ReturnLine.quantity)
        .join(Return, Return.id == ReturnLine.return_id)
        .where(
            Return.order_id == order.id,
            Return.status == R.REFUNDED.value,
            Return.id != ret.id,
        )
    ):
        already[line_id] = already.get(line_id, 0) + quantity
    refund = compute_refund(
        paid,
        {row.order_line_id: row.quantity for row, _, _ in rows},
        already,
        ShippingRefundRule.WHOLE_ORDER_ONLY,
    )
    by_line = {line.line_id: line for line in refund.lines}
    for row, _, _ in rows:
        row.refund_minor = by_line[row.order_line_id].total.minor
    ret.refund_minor = refund.total.minor
    ret.shipping_refund_minor = refund.shipping.minor
    return refund
