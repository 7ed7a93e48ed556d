"""Partial cancellation: which units of a line can still be cancelled, and from where.

A line is cancelled down to the quantity the customer keeps, so sending the same request
again asks for nothing more. Units can be cancelled until they ship or are handed over, and
come off in the order that undoes the least work: backordered units (nothing is held for
them), then units not picked yet (fulfilment orders OPEN, RELEASED, ACCEPTED, then the
unpicked units of a pick in progress), and last the units already picked, which go back on
the shelf (from a pick in progress, then a PACKED fulfilment order, which is packed again,
then a READY_FOR_PICKUP one, whose staged units the customer collects less). Units of
SHIPPED, DELIVERED or PICKED_UP fulfilment orders are never cancellable here: the goods
have left.

An order can have lines cut while any of its goods are still to leave: up to IN_PROGRESS
like a whole-order cancellation, and also PARTIALLY_FULFILLED, when part of it has shipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.lifecycle import CANCELLABLE_ORDER_STATES
from omnigraph.domain.vocabulary import FulfillmentStatus, OrderStatus

F = FulfillmentStatus
# Where units not picked yet are taken from, first to last.
_UNPICKED_ORDER = (F.OPEN, F.RELEASED, F.ACCEPTED, F.PICKING)
# Where picked units are put back from, first to last.
_PICKED_ORDER = (F.PICKING, F.PACKED, F.READY_FOR_PICKUP)
LINES_CANCELLABLE_ORDER_STATES = CANCELLABLE_ORDER_STATES | {OrderStatus.PARTIALLY_FULFILLED}


def check_lines_cancellable(current: OrderStatus) -> None:
    """Refuse (INVALID_TRANSITION on ``orderId``) an order with nothing left to cancel."""
    if current not in LINES_CANCELLABLE_ORDER_STATES:
        raise DomainError.single(
            ("orderId",),
            ErrorCode.INVALID_TRANSITION,
            f"an order in state {current.value} can no longer be cancelled",
        )


@dataclass(frozen=True, slots=True)
class Holding:
    """Units of one order line on one live fulfilment order."""

    fulfilment_id: int
    status: FulfillmentStatus
    quantity: int
    picked: int = 0

    @property
    def unpicked(self) -> int:
        """Units still on the shelf, cancellable without undoing any work."""
        return self.quantity - self.picked if self.status in _UNPICKED_ORDER else 0

    @property
    def put_back(self) -> int:
        """Picked units that can still go back on the shelf."""
        return self.picked if self.status in _PICKED_ORDER else 0

    @property
    def cancellable(self) -> int:
        return self.unpicked + self.put_back


@dataclass(frozen=True, slots=True)
class Take:
    """``quantity`` units off a fulfilment order, or off the backorder when ``None``;
    ``put_back`` of them were picked already and go back on the shelf."""

    fulfilment_id: int | None
    quantity: int
    put_back: int = 0


def _ranked(holdings: Sequence[Holding], order: tuple[FulfillmentStatus, ...]) -> list[Holding]:
    return sorted(
        (h for h in holdings if h.status in order),
        key=lambda h: (order.index(h.status), h.fulfilment_id),
    )


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
    requested quantity, for the refusal. One take per fulfilment order, in the order its
    first unit is taken.
    """
    if keep < 0 or keep > active:
        raise DomainError.single(
            field,
            ErrorCode.INVALID_QUANTITY,
            f"line {line_number} has {active} unit(s) left; keep between 0 and {active}",
        )
    wanted = active - keep
    takes: dict[int | None, Take] = {}
    if wanted and backordered:
        takes[None] = Take(None, min(wanted, backordered))
        wanted -= takes[None].quantity
    for holding in _ranked(holdings, _UNPICKED_ORDER):
        take = min(wanted, holding.unpicked)
        if take > 0:
            takes[holding.fulfilment_id] = Take(holding.fulfilment_id, take)
            wanted -= take
    for holding in _ranked(holdings, _PICKED_ORDER):
        take = min(wanted, holding.put_back)
        if take > 0:
            before = takes.get(holding.fulfilment_id, Take(holding.fulfilment_id, 0))
            takes[holding.fulfilment_id] = replace(
                before, quantity=before.quantity + take, put_back=take
            )
            wanted -= take
    if wanted:
        cancellable = active - wanted - keep
        raise DomainError.single(
            field,
            ErrorCode.INVALID_TRANSITION,
            f"{wanted} unit(s) of line {line_number} have already shipped or been handed over;"
            f" at most {cancellable} of its {active} unit(s) can be cancelled"
            f" (keep at least {keep + wanted})",
        )
    return tuple(takes.values())
