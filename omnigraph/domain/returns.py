"""Returns (RMA): their states, what may be returned, and what each disposition does to stock.

A return is for units the customer has (delivered or picked up) and has not returned yet;
it is received at a location that takes returns and inspected line by line. RESTOCK puts
the units back on the shelf, DAMAGED puts them on hand but not for sale, RETURN_TO_VENDOR
sends them out without touching stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.stock_outcomes import StockStep
from omnigraph.domain.vocabulary import InventoryBucket, MovementReason


class ReturnStatus(StrEnum):
    REQUESTED = "REQUESTED"
    AUTHORIZED = "AUTHORIZED"
    RECEIVED = "RECEIVED"
    INSPECTED = "INSPECTED"
    REFUNDED = "REFUNDED"
    CLOSED = "CLOSED"


class Disposition(StrEnum):
    RESTOCK = "RESTOCK"
    DAMAGED = "DAMAGED"
    RETURN_TO_VENDOR = "RETURN_TO_VENDOR"


R = ReturnStatus
RETURN_TRANSITIONS: Mapping[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.AUTHORIZED, R.CLOSED}),
    R.AUTHORIZED: frozenset({R.RECEIVED, R.CLOSED}),
    R.RECEIVED: frozenset({R.INSPECTED}),
    R.INSPECTED: frozenset({R.REFUNDED, R.CLOSED}),
    R.REFUNDED: frozenset(),
    R.CLOSED: frozenset(),
}


def check_returnable(
    requested: Mapping[int, int],
    returnable: Mapping[int, int],
    field_of: Mapping[int, tuple[str, ...]],
) -> None:
    """Refuse lines (by order line id) asking for more units than the customer has and has
    not returned yet; every problem at once, each on its own input field."""
    problems: list[Problem] = []
    for line_id, quantity in requested.items():
        left = returnable.get(line_id, 0)
        if quantity < 1:
            problems.append(
                Problem(field_of[line_id], ErrorCode.INVALID_QUANTITY, "return at least 1 unit")
            )
        elif quantity > left:
            problems.append(
                Problem(
                    field_of[line_id],
                    ErrorCode.REFUND_EXCEEDS_PURCHASE,
                    f"{quantity} unit(s) asked, {left} delivered and not yet returned",
                )
            )
    if not requested:
        problems.append(Problem(("lines",), ErrorCode.REQUIRED, "a return needs lines"))
    if problems:
        raise DomainError(problems)


def plan_return(level: StockLevel, quantity: int, disposition: Disposition) -> Sequence[StockStep]:
    """The ledger steps of ``quantity`` returned units at the receiving location."""
    if quantity < 1:
        raise DomainError.single(("quantity",), ErrorCode.INVALID_QUANTITY, "at least 1 unit")
    if disposition is Disposition.RETURN_TO_VENDOR:
        return ()
    back = level.with_quantity(InventoryBucket.ON_HAND, level.on_hand + quantity)
    steps = [StockStep(InventoryBucket.ON_HAND, quantity, MovementReason.RETURN_RESTOCK, back)]
    if disposition is Disposition.DAMAGED:
        damaged = back.with_quantity(InventoryBucket.DAMAGED, back.damaged + quantity)
        steps.append(StockStep(InventoryBucket.DAMAGED, quantity, MovementReason.DAMAGE, damaged))
    return tuple(steps)
