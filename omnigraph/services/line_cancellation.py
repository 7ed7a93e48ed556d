"""Cancelling some units of some lines of an order, until they ship.

Each line is cut down to the quantity the customer keeps (``domain.cancellation`` decides
which units). The units taken off give back the stock they hold: picking moves no stock
(picked units stay committed on hand until they are sold), so releasing the commitment
is the whole reversal, as for a whole-order cancellation. Picked units are put back on
the shelf (a put-back on the pick list); a PACKED fulfilment order that lost units goes
back to PICKING to be packed again; a staged one (READY_FOR_PICKUP) keeps its pickup code
and the customer collects the rest. A fulfilment order left empty is cancelled, and the
order's status rolls up (all lines cancelled cancels the order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from omnigraph.db.models import (
    Backorder,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Order,
    OrderLine,
    Product,
)
from omnigraph.domain.cancellation import (
    Holding,
    Take,
    check_lines_cancellable,
    plan_cancellation,
)
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.orders import order_number
from omnigraph.domain.vocabulary import FulfillmentStatus, OrderStatus
from omnigraph.events.types import Topic
from omnigraph.services.fulfilment_work import announce_collections, unpack, unstage
from omnigraph.services.inventory import StockCommit, release_stock
from omnigraph.services.pick_lists import pick_lists
from omnigraph.services.picking import put_back
from omnigraph.services.timeline import Subject, record_cancelled, record_change
from omnigraph.services.transitions import locked_order, move_fulfilment, roll_up
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

F = FulfillmentStatus
_DEAD = (F.REJECTED.value, F.CANCELLED.value)


@dataclass(frozen=True, slots=True)
class CancellationOutcome:
    order: Order
    replayed: bool = False


async def cancel_lines(
    services: Services,
    order_id: int,
    keep: Mapping[int, int],
    reason: str | None = None,
    actor: str | None = None,
) -> CancellationOutcome:
    """Cut each line (by line number) down to the units to keep; ``replayed`` when every
    line already holds that many, so a repeated request cancels nothing more."""
    async with services.unit_of_work(actor=actor) as uow:
        order = await locked_order(uow, order_id)
        check_lines_cancellable(OrderStatus(order.status))
        lines = {
            line.line_number: line
            for line in await uow.session.scalars(
                select(OrderLine).where(OrderLine.order_id == order.id)
            )
        }
        unknown = [
            Problem(
                ("lines", str(index), "lineNumber"),
                ErrorCode.NOT_FOUND,
                f"the order has no line {number}",
            )
            for index, number in enumerate(keep)
            if number not in lines
        ]
        if unknown:
            raise DomainError(unknown)
        holdings, backorders = await _holdings(uow, order)
        plans: dict[int, tuple[Take, ...]] = {}
        problems: list[Problem] = []
        for index, (number, kept) in enumerate(keep.items()):
            line = lines[number]
            try:
                plans[number] = plan_cancellation(
                    number,
                    line.quantity - line.quantity_cancelled,
                    kept,
                    sum(b.quantity for b in backorders.get(line.id, [])),
                    holdings.get(line.id, []),
                    ("lines", str(index), "keepQuantity"),
                )
            except DomainError as error:
                problems.extend(error.problems)
        if problems:
            raise DomainError(problems)
        if not any(plans.values()):
            return CancellationOutcome(order, replayed=True)
        why = reason or "lines cancelled"
        cancelled: list[dict[str, int]] = []
        touched: dict[int, FulfillmentOrder] = {}
        emptied: set[int] = set()
        staged: list[tuple[int, int, int, int]] = []  # fulfilment, order line, units, grams
        for number, takes in plans.items():
            line = lines[number]
            for take in takes:
                if take.fulfilment_id is None:
                    await _unbackorder(uow, backorders.get(line.id, []), take.quantity)
                    continue
                fulfilment, grams, empty = await _take_off(uow, order, line, take)
                touched[fulfilment.id] = fulfilment
                if empty:
                    emptied.add(fulfilment.id)
                if take.put_back and fulfilment.status == F.READY_FOR_PICKUP:
                    staged.append((fulfilment.id, line.id, take.put_back, grams))
            units = sum(take.quantity for take in takes)
            if units:
                line.quantity_cancelled += units
                entry = {"lineNumber": number, "quantity": units}
                if back := sum(take.put_back for take in takes):
                    entry["putBack"] = back
                cancelled.append(entry)
        for fulfilment_id, order_line_id, units, grams in staged:
            if fulfilment_id not in emptied:
                await unstage(uow, touched[fulfilment_id], order_line_id, units, grams)
        for fulfilment_id, fulfilment in sorted(touched.items()):
            if fulfilment_id in emptied:
                move_fulfilment(uow, fulfilment, F.CANCELLED, reason or "every unit cancelled")
            elif fulfilment.status == F.PACKED:
                await unpack(uow, fulfilment, f"{why}: packed units taken out, pack again")
        await announce_collections(uow, order, why)
        record_change(
            uow,
            order_id=order.id,
            subject=Subject.ORDER,
            subject_id=order.id,
            before=order.status,
            after=order.status,
            reason=reason or "lines cancelled",
            details={"cancelled": cancelled},
            publish=False,
        )
        uow.record(
            Topic.ORDER_LINES_CANCELLED,
            "order",
            order.id,
            {
                "orderId": order.id,
                "number": order_number(order.id),
                "lines": cancelled,
                "reason": reason,
            },
            order_id=order.id,
        )
        before = order.status
        await roll_up(uow, order, reason or "lines cancelled")
        if order.status == OrderStatus.CANCELLED.value:
            order.cancel_reason = reason
            # Consumers of order.cancelled hear of it however the order came to be cancelled.
            record_cancelled(uow, order.id, before, reason)
        await uow.commit()
        return CancellationOutcome(order)


async def _holdings(
    uow: UnitOfWork, order: Order
) -> tuple[dict[int, list[Holding]], dict[int, list[Backorder]]]:
    fulfilments = list(
        await uow.session.scalars(
            select(FulfillmentOrder)
            .where(FulfillmentOrder.order_id == order.id, FulfillmentOrder.status.not_in(_DEAD))
            .order_by(FulfillmentOrder.id)
        )
    )
    holdings: dict[int, list[Holding]] = {}
    lists = await pick_lists(uow.session, [f.id for f in fulfilments])
    for fulfilment, lines in zip(fulfilments, lists, strict=True):
        for line in lines:
            holdings.setdefault(line.order_line_id, []).append(
                Holding(fulfilment.id, F(fulfilment.status), line.quantity, line.picked)
            )
    backorders: dict[int, list[Backorder]] = {}
    for backorder in await uow.session.scalars(
        # A filled backorder's units are on a fulfilment order (counted above).
        select(Backorder)
        .where(Backorder.order_id == order.id, Backorder.filled_at.is_(None))
        .order_by(Backorder.id)
    ):
        backorders.setdefault(backorder.order_line_id, []).append(backorder)
    return holdings, backorders


async def _unbackorder(uow: UnitOfWork, backorders: list[Backorder], quantity: int) -> None:
    for backorder in backorders:
        if not quantity:
            return
        take = min(quantity, backorder.quantity)
        quantity -= take
        if take == backorder.quantity:
            await uow.session.delete(backorder)
        else:
            backorder.quantity -= take


async def _take_off(
    uow: UnitOfWork, order: Order, line: OrderLine, take: Take
) -> tuple[FulfillmentOrder, int, bool]:
    """Units off a fulfilment order, picked ones back on the shelf, and their stock back.

    The fulfilment order, the unit weight of the line's product (grams), and whether the
    fulfilment order is left empty."""
    assert take.fulfilment_id is not None
    fulfilment = await uow.session.get(FulfillmentOrder, take.fulfilment_id)
    row = await uow.session.scalar(
        select(FulfillmentOrderLine).where(
            FulfillmentOrderLine.fulfillment_order_id == take.fulfilment_id,
            FulfillmentOrderLine.order_line_id == line.id,
        )
    )
    product = await uow.session.get(Product, line.product_id)
    assert fulfilment is not None and row is not None and product is not None
    await release_stock(
        uow,
        [StockCommit(fulfilment.location_id, line.product_id, product.sku, take.quantity)],
        order.id,
    )
    if take.put_back:
        put_back(uow, fulfilment.id, line.id, take.put_back)
    if row.quantity > take.quantity:
        row.quantity -= take.quantity
        return fulfilment, product.weight_grams, False
    await uow.session.execute(delete(FulfillmentOrderLine).where(FulfillmentOrderLine.id == row.id))
    remaining = await uow.session.scalar(
        select(FulfillmentOrderLine.id)
        .where(FulfillmentOrderLine.fulfillment_order_id == take.fulfilment_id)
        .limit(1)
    )
    return fulfilment, product.weight_grams, remaining is None
