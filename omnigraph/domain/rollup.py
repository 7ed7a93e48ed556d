"""Order status roll-up: what the fulfilment orders say the order's status is.

Rules, applied in this order (each has its own test in tests/test_domain_rollup.py):

1. CANCELLED when every order line is fully cancelled.
2. REJECTED and CANCELLED fulfilment orders are ignored: their lines were re-sourced or
   cancelled, so they say nothing about what remains.
3. TRANSFER fulfilment orders never count as units handed to the customer; they only show
   that work is under way (rule 7).
4. Units are counted per line, capped at the line's non-cancelled quantity, so a line that
   sits on a live fulfilment order after a partial cancellation cannot over-count.
5. COMPLETED when every non-cancelled unit is DELIVERED or PICKED_UP; FULFILLED when every
   one is SHIPPED, PICKED_UP or DELIVERED.
6. PARTIALLY_FULFILLED when some, but not all, non-cancelled units are.
7. IN_PROGRESS once any live fulfilment order is PICKING, PACKED or READY_FOR_PICKUP (or a
   transfer is past ACCEPTED).
8. RELEASED when there is a live fulfilment order and every one is RELEASED or ACCEPTED.
9. Otherwise no opinion (``None``): e.g. a re-sourced shortfall still OPEN; the order stays.

``rollup_status`` never moves an order backwards along PENDING..COMPLETED: the order state
machine has no backward edges, so a rejection that sends lines back to OPEN leaves the order
where it was. ``rollup_path`` gives the legal steps to reach the rolled-up status.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from omnigraph.domain.lifecycle import ORDER_TRANSITIONS, check_transition
from omnigraph.domain.vocabulary import FulfillmentKind, FulfillmentStatus, OrderStatus

F = FulfillmentStatus
O = OrderStatus  # noqa: E741

PROGRESSION: tuple[OrderStatus, ...] = (
    O.PENDING,
    O.CONFIRMED,
    O.RELEASED,
    O.IN_PROGRESS,
    O.PARTIALLY_FULFILLED,
    O.FULFILLED,
    O.COMPLETED,
)
_IGNORED = frozenset({F.REJECTED, F.CANCELLED})
_HANDED_OVER = frozenset({F.SHIPPED, F.PICKED_UP, F.DELIVERED})
_AT_CUSTOMER = frozenset({F.PICKED_UP, F.DELIVERED})
_WORKING = frozenset({F.PICKING, F.PACKED, F.READY_FOR_PICKUP})
_WAITING = frozenset({F.RELEASED, F.ACCEPTED})


@dataclass(frozen=True, slots=True)
class OrderLineFacts:
    line_id: int
    quantity: int
    cancelled_quantity: int = 0

    @property
    def active(self) -> int:
        return self.quantity - self.cancelled_quantity


@dataclass(frozen=True, slots=True)
class FulfilmentFacts:
    """One fulfilment order: its status and the units of each order line it carries."""

    status: FulfillmentStatus
    lines: Mapping[int, int]
    kind: FulfillmentKind = FulfillmentKind.SHIP


def rank(status: OrderStatus) -> int | None:
    """Position along PENDING..COMPLETED; None for ON_HOLD, BACKORDERED, CANCELLED."""
    return PROGRESSION.index(status) if status in PROGRESSION else None


def _units(
    lines: Sequence[OrderLineFacts], fos: Sequence[FulfilmentFacts], states: frozenset[F]
) -> int:
    counted = {line.line_id: 0 for line in lines}
    for fo in fos:
        if fo.status in states:
            for line_id, qty in fo.lines.items():
                if line_id not in counted:
                    raise ValueError(f"fulfilment order carries unknown line {line_id}")
                counted[line_id] += qty
    return sum(min(counted[line.line_id], line.active) for line in lines)


def derive_status(
    lines: Sequence[OrderLineFacts], fulfilment_orders: Sequence[FulfilmentFacts]
) -> OrderStatus | None:
    """The status the rules above give, or None when they give no opinion."""
    if not lines:
        raise ValueError("an order has at least one line")
    if all(line.active <= 0 for line in lines):
        return O.CANCELLED
    live = [fo for fo in fulfilment_orders if fo.status not in _IGNORED]
    customer = [fo for fo in live if fo.kind is not FulfillmentKind.TRANSFER]
    total = sum(max(line.active, 0) for line in lines)
    handed = _units(lines, customer, _HANDED_OVER)
    if _units(lines, customer, _AT_CUSTOMER) == total:
        return O.COMPLETED
    if handed == total:
        return O.FULFILLED
    if handed > 0:
        return O.PARTIALLY_FULFILLED
    if any(
        fo.status in _WORKING
        or (fo.kind is FulfillmentKind.TRANSFER and fo.status not in _WAITING | {F.OPEN})
        for fo in live
    ):
        return O.IN_PROGRESS
    if live and all(fo.status in _WAITING for fo in live):
        return O.RELEASED
    return None


def rollup_status(
    current: OrderStatus,
    lines: Sequence[OrderLineFacts],
    fulfilment_orders: Sequence[FulfilmentFacts],
) -> OrderStatus:
    """The order's status after the roll-up; ``current`` when the rules would move it back."""
    derived = derive_status(lines, fulfilment_orders)
    if derived is None or current in (O.CANCELLED, O.COMPLETED):
        return current
    now, then = rank(current), rank(derived)
    if now is not None and then is not None and then < now:
        return current
    return derived


def rollup_path(
    current: OrderStatus,
    lines: Sequence[OrderLineFacts],
    fulfilment_orders: Sequence[FulfilmentFacts],
) -> tuple[OrderStatus, ...]:
    """The legal order transitions, in order, that take ``current`` to the rolled-up status.

    One fulfilment order event can carry the order over a state the machine requires (the
    last pickup completes an order that was PARTIALLY_FULFILLED, so it passes FULFILLED);
    the service records each step so the timeline has no gaps. Raises INVALID_TRANSITION
    when no legal path exists (e.g. cancelling an order whose goods already shipped).
    """
    target = rollup_status(current, lines, fulfilment_orders)
    if target == current:
        return ()
    # Breadth-first over the progression only: detours via ON_HOLD etc. are never implied.
    allowed = set(PROGRESSION) | {target}
    came_from: dict[OrderStatus, OrderStatus] = {}
    queue = deque([current])
    while queue:
        state = queue.popleft()
        if state == target:
            path = [target]
            while path[-1] in came_from and came_from[path[-1]] != current:
                path.append(came_from[path[-1]])
            return tuple(reversed(path))
        for following in sorted(ORDER_TRANSITIONS[state], key=lambda s: rank(s) or 0):
            if following in allowed and following not in came_from and following != current:
                came_from[following] = state
                queue.append(following)
    check_transition("order", ORDER_TRANSITIONS, current, target)
    raise AssertionError("unreachable: check_transition refuses a missing edge")
