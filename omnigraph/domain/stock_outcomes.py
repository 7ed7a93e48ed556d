"""What fulfilment does to a level: units leave with the customer, or turn out short.

Each function returns the level after every step, in order, so the service can write one
ledger movement per step and the ledger stays the running sum of the level.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.fulfilment import ShortReason
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.vocabulary import InventoryBucket, MovementReason


@dataclass(frozen=True, slots=True)
class StockStep:
    """One bucket change: ``after`` is the whole level once ``delta`` is applied."""

    bucket: InventoryBucket
    delta: int
    reason: MovementReason
    after: StockLevel


def _step(
    level: StockLevel, bucket: InventoryBucket, delta: int, reason: MovementReason
) -> StockStep:
    value = level.quantity(bucket) + delta
    if value < 0:
        raise DomainError.single(
            ("quantity",),
            ErrorCode.NEGATIVE_STOCK,
            f"{bucket.value} would become {value}; it is {level.quantity(bucket)}",
        )
    return StockStep(bucket, delta, reason, level.with_quantity(bucket, value))


def _positive(quantity: int) -> None:
    if quantity < 1:
        raise DomainError.single(
            ("quantity",), ErrorCode.INVALID_QUANTITY, "quantity must be at least 1"
        )


def plan_sale(level: StockLevel, quantity: int) -> tuple[StockStep, StockStep]:
    """Units handed to the customer or a carrier: no longer held, no longer on hand."""
    _positive(quantity)
    released = _step(level, InventoryBucket.COMMITTED, -quantity, MovementReason.SALE)
    gone = _step(released.after, InventoryBucket.ON_HAND, -quantity, MovementReason.SALE)
    return released, gone


def plan_short(
    level: StockLevel, quantity: int, reason: ShortReason
) -> tuple[StockStep, StockStep]:
    """Units a picker could not pick: the order lets go of them, and they leave stock
    (missing) or move to damaged (still on the shelf, not sellable)."""
    _positive(quantity)
    released = _step(level, InventoryBucket.COMMITTED, -quantity, MovementReason.RELEASE)
    if reason is ShortReason.DAMAGED:
        return released, _step(
            released.after, InventoryBucket.DAMAGED, quantity, MovementReason.DAMAGE
        )
    return released, _step(
        released.after, InventoryBucket.ON_HAND, -quantity, MovementReason.ADJUSTMENT
    )


def plan_transfer_out(level: StockLevel, quantity: int) -> tuple[StockStep, StockStep]:
    """Units leave the sending location for another location: no longer held, not on hand."""
    _positive(quantity)
    released = _step(level, InventoryBucket.COMMITTED, -quantity, MovementReason.TRANSFER_OUT)
    gone = _step(released.after, InventoryBucket.ON_HAND, -quantity, MovementReason.TRANSFER_OUT)
    return released, gone


def plan_in_transit(level: StockLevel, quantity: int) -> tuple[StockStep]:
    """Units on their way to the receiving location count as incoming there."""
    _positive(quantity)
    return (_step(level, InventoryBucket.INCOMING, quantity, MovementReason.TRANSFER_OUT),)


def plan_transfer_in(level: StockLevel, quantity: int) -> tuple[StockStep, StockStep]:
    """Units arrive: no longer incoming, on hand (and sellable until an order holds them)."""
    _positive(quantity)
    arrived = _step(level, InventoryBucket.INCOMING, -quantity, MovementReason.TRANSFER_IN)
    shelved = _step(arrived.after, InventoryBucket.ON_HAND, quantity, MovementReason.TRANSFER_IN)
    return arrived, shelved
