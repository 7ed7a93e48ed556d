"""When an order's payment may be marked authorised, paid or on hold."""

from __future__ import annotations

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.vocabulary import OrderStatus, PaymentStatus

# A hold stops a release, so only an order not yet released can be put on hold.
_HOLDABLE = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.ON_HOLD})


def check_payment_change(order: OrderStatus, payment: PaymentStatus) -> None:
    """Raise unless an order in ``order`` status may have its payment marked ``payment``.

    A cancelled order's payment is settled elsewhere; a completed order may still be marked
    paid (payment captured after delivery), and nothing else.
    """
    if order is OrderStatus.CANCELLED or (
        order is OrderStatus.COMPLETED and payment is not PaymentStatus.PAID
    ):
        raise DomainError.single(
            ("orderId",), ErrorCode.INVALID_TRANSITION, f"the order is {order.value}"
        )
    if payment is PaymentStatus.ON_HOLD and order not in _HOLDABLE:
        raise DomainError.single(
            ("status",),
            ErrorCode.INVALID_TRANSITION,
            f"the order is {order.value}; only an unreleased order's payment can be held",
        )
