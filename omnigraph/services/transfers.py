"""Store-to-store transfers: the receiving store takes the units in, and the customer's
pickup goes ahead there.

A transfer is a TRANSFER fulfilment order (see ``services.resourcing``): picked, packed and
shipped at the sending location like any other (``shipFulfillmentOrder`` sends it to the
receiving store, where the units count as incoming). Receiving it puts them on hand, holds
them for the order and releases a pickup fulfilment order at the store, picked from its
own pick list; the customer still collects once (one message, one pickup code), when the
order's last pickup fulfilment order there is staged (``services.fulfilment_work``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from omnigraph.db.models import FulfillmentOrderLine, Location, OrderLine, Product, Transfer
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.orders import order_number
from omnigraph.domain.vocabulary import FulfillmentKind, FulfillmentStatus, OrderStatus
from omnigraph.services.fulfilment_stock import receive_transfer as shelve
from omnigraph.services.fulfilment_work import stock_lines
from omnigraph.services.inventory import StockCommit
from omnigraph.services.resourcing import new_fulfilment, retrying
from omnigraph.services.transitions import locked_fulfilment, move_fulfilment, roll_up
from omnigraph.services.work_outcome import WorkOutcome

if TYPE_CHECKING:
    from omnigraph.services.core import Services

F = FulfillmentStatus


async def receive_transfer(
    services: Services, fulfilment_id: int, actor: str | None = None
) -> WorkOutcome:
    """The receiving store confirms a shipped transfer arrived: SHIPPED -> DELIVERED, the
    units move from incoming to on hand there, and (unless the order was cancelled) they
    are held for the order on a new, released pickup fulfilment order (``rerouted``).
    Receiving again changes nothing."""

    async def attempt() -> WorkOutcome:
        async with services.unit_of_work(actor=actor) as uow:
            fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
            transfer = await uow.session.get(Transfer, fulfilment.id)
            if transfer is None:
                raise DomainError.single(
                    ("fulfillmentOrderId",), ErrorCode.INVALID, "not a transfer"
                )
            if fulfilment.status == F.DELIVERED:
                return WorkOutcome(fulfilment, order, replayed=True)
            store = await uow.session.get(Location, transfer.destination_location_id)
            assert store is not None
            why = f"transfer received at {store.code}"
            move_fulfilment(uow, fulfilment, F.DELIVERED, why)
            arriving = [
                StockCommit(store.id, line.product_id, line.sku, line.quantity)
                for line in await stock_lines(uow, fulfilment)
            ]
            await shelve(uow, arriving, f"{why}, {order_number(order.id)}")
            transfer.received_at = uow.now()
            created = []
            if order.status != OrderStatus.CANCELLED.value:
                rows = await uow.session.execute(
                    select(FulfillmentOrderLine.quantity, OrderLine, Product)
                    .join(OrderLine, OrderLine.id == FulfillmentOrderLine.order_line_id)
                    .join(Product, Product.id == OrderLine.product_id)
                    .where(FulfillmentOrderLine.fulfillment_order_id == fulfilment.id)
                )
                found = rows.all()
                units = {line: quantity for quantity, line, _ in found}
                products = {product.sku: product for _, _, product in found}
                created.append(
                    await new_fulfilment(
                        uow,
                        order,
                        FulfillmentKind.PICKUP,
                        store.id,
                        0.0,
                        units,
                        products,
                        why,
                    )
                )
            await roll_up(uow, order, why)
            await uow.commit()
            return WorkOutcome(fulfilment, order, rerouted=tuple(created))

    return await retrying(attempt)
