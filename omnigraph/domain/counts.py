"""Cycle counts: what a store or a WMS counted against what the ledger says is on hand.

A count is physical truth. It may leave ``on_hand`` below what orders and checkouts hold;
that is accepted and reported as a shortfall, because refusing a count would only keep a
number everybody knows to be wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from omnigraph.domain.errors import ErrorCode, Problem
from omnigraph.domain.inventory import MAX_QUANTITY, StockLevel
from omnigraph.domain.lines import in_line_order, sku_problems
from omnigraph.domain.vocabulary import InventoryBucket

# A full-store count from a WMS is a few thousand lines; more is a batching mistake.
MAX_COUNT_LINES = 5_000


@dataclass(frozen=True, slots=True)
class CountLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """A counted quantity that differs from the ledger.

    ``expected`` is what the ledger held when the count was taken, ``delta`` is
    ``counted - expected``, and ``shortfall`` the units held by orders and checkouts
    (committed + reserved) that the stock on hand after the count cannot cover.
    """

    sku: str
    expected: int
    counted: int
    delta: int
    shortfall: int = 0


@dataclass(frozen=True, slots=True)
class CountOutcome:
    """The level after one counted line, the ledger delta that gets it there, and what differed."""

    after: StockLevel
    applied_delta: int
    discrepancy: Discrepancy | None


def count_problems(lines: Sequence[CountLine], known_skus: Mapping[str, object]) -> list[Problem]:
    """Everything wrong with a count, at once, so the sender fixes it in one round trip."""
    if not lines:
        return [Problem(("counts",), ErrorCode.REQUIRED, "a count needs at least one line")]
    if len(lines) > MAX_COUNT_LINES:
        return [
            Problem(
                ("counts",),
                ErrorCode.TOO_MANY_LINES,
                f"at most {MAX_COUNT_LINES} lines per count; split it by zone",
            )
        ]
    problems: list[Problem] = []
    for index, line in enumerate(lines):
        where = ("counts", str(index))
        if line.quantity < 0:
            problems.append(
                Problem(
                    (*where, "quantity"), ErrorCode.NEGATIVE_STOCK, "a count cannot be negative"
                )
            )
        elif line.quantity > MAX_QUANTITY:
            problems.append(
                Problem(
                    (*where, "quantity"),
                    ErrorCode.INVALID_QUANTITY,
                    f"quantity may not exceed {MAX_QUANTITY}",
                )
            )
    problems.extend(sku_problems([line.sku for line in lines], known_skus, "counts"))
    return in_line_order(problems)


def shortfall(level: StockLevel) -> int:
    """Units promised to orders and checkouts that are not on hand."""
    return max(0, level.committed + level.reserved - level.on_hand)


def compare_count(
    sku: str, recorded: StockLevel, counted: int, moved_since: int = 0
) -> CountOutcome:
    """Apply one counted line to a level.

    ``moved_since`` is the net ``ON_HAND`` change the ledger recorded after the count was
    taken (a parcel shipped or a receipt booked while the count travelled). Those moves are
    real and must survive the count: what the counter should have found is ``on_hand -
    moved_since``, and the new ``on_hand`` is ``counted + moved_since``. It is floored at
    zero, which only happens when the later moves contradict the count itself.
    """
    expected = recorded.on_hand - moved_since
    delta = counted - expected
    on_hand = max(0, counted + moved_since)
    after = recorded.with_quantity(InventoryBucket.ON_HAND, on_hand)
    discrepancy = (
        Discrepancy(sku, expected, counted, delta, shortfall(after)) if delta != 0 else None
    )
    return CountOutcome(after, on_hand - recorded.on_hand, discrepancy)
