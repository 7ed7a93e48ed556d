"""Stock effects of fulfilment: units handed over (sold), found short at pick time, or
moved between locations by a transfer.

Each step is one ledger movement and one ``inventory.changed`` event, written through the
inventory service's ``apply_change`` after the domain decided the new level.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from omnigraph.db.mapping import level_of
from omnigraph.domain.fulfilment import ShortReason
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.stock_outcomes import (
    StockStep,
    plan_in_transit,
    plan_sale,
    plan_short,
    plan_transfer_in,
    plan_transfer_out,
)
from omnigraph.services.inventory import StockCommit, apply_change, lock_levels
from omnigraph.services.unit_of_work import UnitOfWork


async def _apply(
    uow: UnitOfWork,
    line: StockCommit,
    plan: Callable[[StockLevel], Sequence[StockStep]],
    note: str,
) -> None:
    # A transfer may bring a SKU to a location that never stocked it: create its level.
    rows = await lock_levels(uow, line.location_id, [line.product_id], create=[line.product_id])
    row = rows[line.product_id]
    for step in plan(level_of(row)):
        await apply_change(
            uow,
            row,
            line.sku,
            step.bucket,
            step.after,
            step.delta,
            step.reason,
            source="omnigraph",
            external_id=None,
            actor=uow.actor,
            note=note,
        )


async def sell(uow: UnitOfWork, lines: Sequence[StockCommit], note: str) -> None:
    """Units leave with a carrier or the customer: committed and on hand both go down."""
    for line in sorted(lines, key=lambda c: (c.location_id, c.product_id)):
        await _apply(uow, line, functools.partial(_sale, quantity=line.quantity), note)


def _sale(level: StockLevel, quantity: int) -> Sequence[StockStep]:
    return plan_sale(level, quantity)


async def send_transfer(
    uow: UnitOfWork, lines: Sequence[StockCommit], destination_id: int, note: str
) -> None:
    """Units leave the sending location and are incoming at ``destination_id``."""
    for line in sorted(lines, key=lambda c: (c.location_id, c.product_id)):
        await _apply(uow, line, functools.partial(plan_transfer_out, quantity=line.quantity), note)
    for line in sorted(lines, key=lambda c: c.product_id):
        arriving = StockCommit(destination_id, line.product_id, line.sku, line.quantity)
        await _apply(
            uow, arriving, functools.partial(plan_in_transit, quantity=line.quantity), note
        )


async def receive_transfer(uow: UnitOfWork, lines: Sequence[StockCommit], note: str) -> None:
    """Incoming units arrive on hand at the location the lines name."""
    for line in sorted(lines, key=lambda c: (c.location_id, c.product_id)):
        await _apply(uow, line, functools.partial(plan_transfer_in, quantity=line.quantity), note)


async def short(uow: UnitOfWork, line: StockCommit, reason: ShortReason, note: str) -> None:
    """Units not found (they leave on hand) or damaged (they move to damaged)."""
    await _apply(uow, line, lambda level: plan_short(level, line.quantity, reason), note)
