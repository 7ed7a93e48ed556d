"""Inventory arithmetic: available-to-promise from the quantity states of a level."""

from __future__ import annotations

from dataclasses import dataclass

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.vocabulary import InventoryBucket, MovementReason

MAX_QUANTITY = 10_000_000


@dataclass(frozen=True, slots=True)
class StockLevel:
    """The quantity states of one SKU at one location."""

    on_hand: int = 0
    committed: int = 0
    reserved: int = 0
    safety_stock: int = 0
    damaged: int = 0
    incoming: int = 0

    @property
    def raw_available(self) -> int:
        """May be negative when counts fell below what is already promised."""
        return self.on_hand - self.committed - self.reserved - self.safety_stock - self.damaged

    @property
    def available(self) -> int:
        """What may be sold: never below zero."""
        return max(0, self.raw_available)

    def quantity(self, bucket: InventoryBucket) -> int:
        return int(getattr(self, bucket.value.lower()))

    def with_quantity(self, bucket: InventoryBucket, value: int) -> StockLevel:
        fields = {b.value.lower(): self.quantity(b) for b in InventoryBucket}
        fields[bucket.value.lower()] = value
        return StockLevel(**fields)


# Buckets an operator may adjust directly. Committed and reserved move only with orders
# and checkout holds, so nobody can hand-edit a promise away; safety stock comes from the
# safety stock rules, so a hand edit would be undone by the next rule change.
ADJUSTABLE_BUCKETS = frozenset(
    {InventoryBucket.ON_HAND, InventoryBucket.DAMAGED, InventoryBucket.INCOMING}
)


def check_adjustable(bucket: InventoryBucket) -> None:
    if bucket is InventoryBucket.SAFETY_STOCK:
        raise DomainError.single(
            ("bucket",),
            ErrorCode.INVALID,
            "safety stock is set by safety stock rules (setSafetyStockRule)",
        )
    if bucket not in ADJUSTABLE_BUCKETS:
        raise DomainError.single(
            ("bucket",),
            ErrorCode.INVALID,
            f"{bucket.value} changes only through orders and reservations",
        )


def incoming_received(
    level: StockLevel, bucket: InventoryBucket, reason: MovementReason, delta: int
) -> int:
    """How much incoming supply a receipt brings in: a ``RECEIPT`` of units on hand is the
    expected supply arriving first, so the level's incoming goes down by as much (never
    below zero); anything else leaves incoming alone."""
    if bucket is not InventoryBucket.ON_HAND or reason is not MovementReason.RECEIPT:
        return 0
    return max(0, min(delta, level.incoming))


def plan_adjustment(level: StockLevel, bucket: InventoryBucket, delta: int) -> StockLevel:
    """The level after adding ``delta`` to ``bucket``; refuses results below zero or absurd."""
    check_adjustable(bucket)
    if delta == 0:
        raise DomainError.single(("delta",), ErrorCode.INVALID_QUANTITY, "delta must not be zero")
    result = level.quantity(bucket) + delta
    if result < 0:
        raise DomainError.single(
            ("delta",),
            ErrorCode.NEGATIVE_STOCK,
            f"{bucket.value} would become {result}; it is {level.quantity(bucket)}",
        )
    if result > MAX_QUANTITY:
        raise DomainError.single(
            ("delta",), ErrorCode.INVALID_QUANTITY, f"{bucket.value} may not exceed {MAX_QUANTITY}"
        )
    return level.with_quantity(bucket, result)


def plan_set(level: StockLevel, bucket: InventoryBucket, quantity: int) -> tuple[StockLevel, int]:
    """The level after setting ``bucket`` to ``quantity``, and the delta that gets it there."""
    check_adjustable(bucket)
    if quantity < 0:
        raise DomainError.single(
            ("quantity",), ErrorCode.NEGATIVE_STOCK, "quantity must not be negative"
        )
    if quantity > MAX_QUANTITY:
        raise DomainError.single(
            ("quantity",), ErrorCode.INVALID_QUANTITY, f"quantity may not exceed {MAX_QUANTITY}"
        )
    return level.with_quantity(bucket, quantity), quantity - level.quantity(bucket)


# Reasons that belong to orders and checkout holds; nobody applies them by hand.
SYSTEM_REASONS = frozenset({"COMMIT", "RELEASE", "RESERVATION", "SAFETY_STOCK"})


def check_manual_reason(reason: str) -> None:
    if reason in SYSTEM_REASONS:
        raise DomainError.single(
            ("reason",),
            ErrorCode.INVALID,
            f"{reason} movements are made by orders, reservations and rules",
        )
