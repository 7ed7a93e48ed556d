"""Partial cancellation: which units of a line can still be cancelled, and from where.

A line is cancelled down to the quantity the customer keeps, so sending the same request
again asks for nothing more. Units come off, in this order: backordered units (nothing is
held for them), then fulfilment orders not yet picked from (OPEN, RELEASED, ACCEPTED), then
the unpicked units of a pick in progress. Units picked, packed, staged or gone are not
cancellable here: the goods are on their way to the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.vocabulary import FulfillmentStatus

F = FulfillmentStatus
_TAKE_ORDER = (F.OPEN, F.RELEASED, F.ACCEPTED, F.PICKING)


@dataclass(frozen=True, slots=True)
class Holding:
    """Units of one order line on one live fulfilment order."""

    fulfilment_id: int
    status: FulfillmentStatus
    quantity: int
    picked: int = 0

    @property
    def cancellable(self) -> int:
        if self.status not in _TAKE_ORDER:
            return 0
        return self.quantity - self.picked


@dataclass(frozen=True, slots=True)
class Take:
    """``quantity`` units off a fulfilment order, or off the backorder when ``None``."""

    fulfilment_id: int | None
    quantity: int


def plan_cancellation(
    line_number: int,
    active: int,
    keep: int,
    backordered: int,
    holdings: Sequence[Holding],
    field: tuple[str, ...],
) -> tuple[Take, ...]:
    """Where the ``active - keep`` units to cancel come from; refuses what cannot be done.

    ``active`` is the line's quantity not yet cancelled; ``field`` is the input path of the
    requested quantity, for the refusal.
    """
    if keep < 0 or keep > active:
        raise DomainError.single(
            field,
            ErrorCode.INVALID_QUANTITY,
            f"line {line_number} has {active} unit(s) left; keep between 0 and {active}",
        )
    wanted = active - keep
    takes: list[Take] = []
    if wanted and backordered:
        takes.append(Take(None, min(wanted, backordered)))
        wanted -= takes[-1].quantity
    ranked = sorted(
        holdings,
        key=lambda h: (
            (_TAKE_ORDER.index(h.status), h.fulfilment_id)
            if h.status in _TAKE_ORDER
            else (len(_TAKE_ORDER), h.fulfilment_id)
        ),
    )
    for holding in ranked:
        if not wanted:
            break
        take = min(wanted, holding.cancellable)
        if take > 0:
            takes.append(Take(holding.fulfilment_id, take))
            wanted -= take
    if wanted:
        raise DomainError.single(
            field,
            ErrorCode.INVALID_TRANSITION,
            f"{wanted} unit(s) of line {line_number} are already picked, packed or on their way",
        )
    return tuple(takes)
