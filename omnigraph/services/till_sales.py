"""A sale at the till: the customer walks out with the goods, so the order is complete.

The order is captured like any pickup at the till's store, then at once: its units are sold
(committed and on-hand stock both go down, as ``SALE`` movements), its fulfilment order is
handed over (``OPEN -> PICKED_UP``, no pick list is sent) and the order is ``COMPLETED``.
It can be returned through any channel like any collected order.
"""

from __future__ import annotations

from collections.abc import Sequence

from omnigraph.db.models import FulfillmentOrder, Order
from omnigraph.domain.vocabulary import FulfillmentStatus, OrderStatus
from omnigraph.services.fulfilment_stock import sell
from omnigraph.services.inventory import StockCommit
from omnigraph.services.transitions import move_fulfilment, move_order
from omnigraph.services.unit_of_work import UnitOfWork


async def hand_over_at_till(
    uow: UnitOfWork,
    order: Order,
    fulfilments: Sequence[FulfillmentOrder],
    committed: Sequence[StockCommit],
    till: str,
) -> None:
    """Sell the order's ``committed`` units and complete it; ``till`` names where."""
    note = f"carried out at {till}"
    await sell(uow, committed, note)
    for fulfilment in fulfilments:
        move_fulfilment(uow, fulfilment, FulfillmentStatus.PICKED_UP, note)
    move_order(uow, order, OrderStatus.COMPLETED, note)
