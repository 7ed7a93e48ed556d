"""State machines: which transitions are legal for orders, fulfilment orders and shipments."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.vocabulary import FulfillmentStatus, OrderStatus, ShipmentStatus

# Short aliases keep the transition tables readable.
O = OrderStatus  # noqa: E741
F = FulfillmentStatus
S = ShipmentStatus

ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    O.PENDING: frozenset({O.CONFIRMED, O.ON_HOLD, O.BACKORDERED, O.CANCELLED}),
    O.CONFIRMED: frozenset({O.RELEASED, O.ON_HOLD, O.BACKORDERED, O.CANCELLED, O.COMPLETED}),
    O.ON_HOLD: frozenset({O.PENDING, O.CONFIRMED, O.CANCELLED}),
    O.BACKORDERED: frozenset({O.CONFIRMED, O.CANCELLED}),
    O.RELEASED: frozenset({O.IN_PROGRESS, O.PARTIALLY_FULFILLED, O.FULFILLED, O.CANCELLED}),
    O.IN_PROGRESS: frozenset({O.PARTIALLY_FULFILLED, O.FULFILLED, O.CANCELLED}),
    O.PARTIALLY_FULFILLED: frozenset({O.FULFILLED, O.CANCELLED}),
    O.FULFILLED: frozenset({O.COMPLETED}),
    O.COMPLETED: frozenset(),
    O.CANCELLED: frozenset(),
}

FULFILLMENT_TRANSITIONS: Mapping[FulfillmentStatus, frozenset[FulfillmentStatus]] = {
    # OPEN -> PICKED_UP: goods carried out at a till are sold and handed over at once.
    F.OPEN: frozenset({F.RELEASED, F.CANCELLED, F.PICKED_UP}),
    F.RELEASED: frozenset({F.ACCEPTED, F.REJECTED, F.CANCELLED}),
    F.ACCEPTED: frozenset({F.PICKING, F.CANCELLED}),
    F.PICKING: frozenset({F.PACKED, F.CANCELLED}),
    # PACKED -> PICKING: a cancellation took packed units out, so the rest is packed again.
    F.PACKED: frozenset({F.PICKING, F.READY_FOR_PICKUP, F.SHIPPED, F.CANCELLED}),
    F.READY_FOR_PICKUP: frozenset({F.PICKED_UP, F.CANCELLED}),
    F.SHIPPED: frozenset({F.DELIVERED}),
    F.PICKED_UP: frozenset(),
    F.DELIVERED: frozenset(),
    F.REJECTED: frozenset(),
    F.CANCELLED: frozenset(),
}

SHIPMENT_TRANSITIONS: Mapping[ShipmentStatus, frozenset[ShipmentStatus]] = {
    S.LABEL_CREATED: frozenset({S.IN_TRANSIT, S.EXCEPTION}),
    S.IN_TRANSIT: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED, S.EXCEPTION}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.EXCEPTION}),
    S.EXCEPTION: frozenset({S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.RETURNED_TO_SENDER}),
    S.DELIVERED: frozenset(),
    S.RETURNED_TO_SENDER: frozenset(),
}

# Orders can be cancelled until goods leave a location.
CANCELLABLE_ORDER_STATES = frozenset(
    {O.PENDING, O.CONFIRMED, O.ON_HOLD, O.BACKORDERED, O.RELEASED, O.IN_PROGRESS}
)

StateT = TypeVar("StateT", bound=StrEnum)


def check_transition(
    kind: str,
    transitions: Mapping[StateT, frozenset[StateT]],
    current: StateT,
    target: StateT,
    field: tuple[str, ...] = ("status",),
) -> None:
    """Raise ``INVALID_TRANSITION`` naming both states unless ``current -> target`` is legal.

    ``field`` is the input the refusal is reported on (the id of what was to move).
    """
    if target not in transitions[current]:
        raise DomainError.single(
            field,
            ErrorCode.INVALID_TRANSITION,
            f"{kind} in state {current.value} cannot move to {target.value}",
        )


def check_order_cancellable(current: OrderStatus) -> None:
    if current not in CANCELLABLE_ORDER_STATES:
        raise DomainError.single(
            ("orderId",),
            ErrorCode.INVALID_TRANSITION,
            f"an order in state {current.value} can no longer be cancelled",
        )
