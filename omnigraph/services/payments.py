"""An order's payment status: authorised, paid, or on hold (a release waits for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnigraph.db.models import Order
from omnigraph.domain.payments import check_payment_change
from omnigraph.domain.vocabulary import OrderStatus, PaymentStatus
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.transitions import locked_order

if TYPE_CHECKING:
    from omnigraph.services.core import Services


async def set_payment_status(
    services: Services,
    order_id: int,
    status: PaymentStatus,
    reason: str | None = None,
    actor: str | None = None,
) -> Order:
    """Mark the order's payment; the same status again changes nothing.

    Clearing a hold (``AUTHORIZED`` or ``PAID``) lets the scheduler release the order.
    """
    async with services.unit_of_work(actor=actor) as uow:
        order = await locked_order(uow, order_id)
        current = OrderStatus(order.status)
        if order.payment_status == status.value:
            return order
        check_payment_change(current, status)
        before = order.payment_status
        order.payment_status = status.value
        order.updated_at = services.clock()
        record_change(
            uow,
            order_id=order.id,
            subject=Subject.ORDER,
            subject_id=order.id,
            before=current.value,
            after=current.value,
            reason=reason or f"payment {before} -> {status.value}",
            details={"paymentBefore": before, "paymentAfter": status.value},
            # The order's status did not change: on the timeline, not an order.status event.
            publish=False,
        )
        await uow.commit()
        return order
