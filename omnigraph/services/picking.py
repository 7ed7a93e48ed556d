"""Picking a fulfilment order by scanning barcodes, and short picks that re-route.

The first scan or short pick of an ACCEPTED fulfilment order starts the pick (PICKING).
Picked units are the sum of the scans (``pick_events``) less the units put back; a scan
sent again with the same ``scan_id`` is applied once. A short pick takes the missing units
off the fulfilment order, adjusts stock, and re-sources them to another location or
backorders them. A put-back (cancelled units that were picked) returns units to the shelf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from omnigraph.db.models import FulfillmentOrder, FulfillmentOrderLine, Order, PickEvent
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.fulfilment import ShortReason, scan, short_pick
from omnigraph.domain.orders import order_number
from omnigraph.domain.vocabulary import FulfillmentStatus
from omnigraph.services.fulfilment_stock import short
from omnigraph.services.fulfilment_work import announce_collections
from omnigraph.services.inventory import StockCommit
from omnigraph.services.pick_lists import (
    PUT_BACK,
    SCAN,
    SHORT,
    PickListLine,
    pick_list,
    state_of,
)
from omnigraph.services.resourcing import reroute, retrying
from omnigraph.services.transitions import locked_fulfilment, move_fulfilment, roll_up
from omnigraph.services.unit_of_work import UnitOfWork
from omnigraph.services.work_outcome import WorkOutcome

if TYPE_CHECKING:
    from omnigraph.services.core import Services

F = FulfillmentStatus


async def _start_pick(uow: UnitOfWork, fulfilment: FulfillmentOrder, order: Order) -> None:
    """ACCEPTED -> PICKING on the first scan; refuse a fulfilment order not being picked."""
    if fulfilment.status == F.PICKING:
        return
    if fulfilment.status != F.ACCEPTED:
        raise DomainError.single(
            ("fulfillmentOrderId",),
            ErrorCode.INVALID_TRANSITION,
            f"a fulfilment order in state {fulfilment.status} cannot be picked"
            + ("; accept it first" if fulfilment.status == F.RELEASED else ""),
        )
    move_fulfilment(uow, fulfilment, F.PICKING, "pick started")
    await roll_up(uow, order, "pick started")


async def scan_item(
    services: Services,
    fulfilment_id: int,
    code: str,
    quantity: int = 1,
    *,
    scan_id: str | None = None,
    actor: str | None = None,
) -> WorkOutcome:
    """Record units scanned by barcode or SKU; WRONG_ITEM and OVER_PICK are refused."""
    async with services.unit_of_work(actor=actor) as uow:
        fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
        if scan_id is not None:
            previous = await uow.session.scalar(
                select(PickEvent).where(
                    PickEvent.fulfillment_order_id == fulfilment.id, PickEvent.scan_id == scan_id
                )
            )
            if previous is not None:
                if previous.code != code.strip() or previous.quantity != quantity:
                    raise DomainError.single(
                        ("scanId",),
                        ErrorCode.IDEMPOTENCY_CONFLICT,
                        "this scan id was already used for another scan",
                    )
                return WorkOutcome(fulfilment, order, replayed=True)
        await _start_pick(uow, fulfilment, order)
        lines = await pick_list(uow.session, fulfilment)
        before = state_of(lines)
        after = scan(before, code, quantity)
        for line in lines:
            added = after.picked.get(line.order_line_id, 0) - line.picked
            if added > 0:
                uow.session.add(
                    PickEvent(
                        fulfillment_order_id=fulfilment.id,
                        order_line_id=line.order_line_id,
                        kind=SCAN,
                        quantity=added,
                        code=code.strip(),
                        scan_id=scan_id,
                        actor=uow.actor,
                        created_at=uow.now(),
                    )
                )
        await uow.session.flush()
        await uow.commit()
        return WorkOutcome(fulfilment, order)


def put_back(uow: UnitOfWork, fulfilment_id: int, order_line_id: int, quantity: int) -> None:
    """Record ``quantity`` picked units of an order line taken back to the shelf.

    Picking moves no stock (the units stay committed on hand until they are sold), so the
    put-back is a pick event only; the caller gives the commitment back when the units
    leave the order."""
    uow.session.add(
        PickEvent(
            fulfillment_order_id=fulfilment_id,
            order_line_id=order_line_id,
            kind=PUT_BACK,
            quantity=quantity,
            actor=uow.actor,
            created_at=uow.now(),
        )
    )


def _line(lines: list[PickListLine], line_number: int) -> PickListLine:
    for line in lines:
        if line.line_number == line_number:
            return line
    raise DomainError.single(
        ("lineNumber",), ErrorCode.NOT_FOUND, f"line {line_number} is not on this pick list"
    )


async def short_pick_line(
    services: Services,
    fulfilment_id: int,
    line_number: int,
    missing: int,
    reason: ShortReason,
    actor: str | None = None,
) -> WorkOutcome:
    """Mark ``missing`` units of a line as not pickable; re-route or backorder them."""

    async def attempt() -> WorkOutcome:
        async with services.unit_of_work(actor=actor) as uow:
            fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
            await _start_pick(uow, fulfilment, order)
            lines = await pick_list(uow.session, fulfilment)
            line = _line(lines, line_number)
            short_pick(state_of(lines), line.order_line_id, missing, reason)
            why = (
                f"short pick at location {fulfilment.location_id}:"
                f" {missing} x {line.sku} {reason.value.lower()}"
            )
            uow.session.add(
                PickEvent(
                    fulfillment_order_id=fulfilment.id,
                    order_line_id=line.order_line_id,
                    kind=SHORT,
                    quantity=missing,
                    reason=reason.value,
                    actor=uow.actor,
                    created_at=uow.now(),
                )
            )
            await short(
                uow,
                StockCommit(fulfilment.location_id, line.product_id, line.sku, missing),
                reason,
                f"{why}, {order_number(order.id)}",
            )
            await _take_off(uow, fulfilment, line, missing)
            # A pickup store short of stock gets it sent over rather than backordered.
            moved = await reroute(
                services,
                uow,
                order,
                {line.order_line_id: missing},
                {fulfilment.location_id},
                why,
                transfer=True,
            )
            if line.quantity == missing and len(lines) == 1:
                move_fulfilment(uow, fulfilment, F.CANCELLED, "every unit was short")
            await announce_collections(uow, order, why)
            await roll_up(uow, order, why)
            await uow.commit()
            return WorkOutcome(
                fulfilment, order, rerouted=tuple(moved.fulfilments), backordered=moved.backordered
            )

    return await retrying(attempt)


async def _take_off(
    uow: UnitOfWork, fulfilment: FulfillmentOrder, line: PickListLine, missing: int
) -> None:
    """The short units leave the fulfilment order: it now carries what it can hand over."""
    row = await uow.session.scalar(
        select(FulfillmentOrderLine).where(
            FulfillmentOrderLine.fulfillment_order_id == fulfilment.id,
            FulfillmentOrderLine.order_line_id == line.order_line_id,
        )
    )
    assert row is not None
    if row.quantity > missing:
        row.quantity -= missing
        return
    await uow.session.execute(delete(FulfillmentOrderLine).where(FulfillmentOrderLine.id == row.id))
