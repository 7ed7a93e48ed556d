"""What a location must pick for a fulfilment order: lines, products, bins, units picked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import (
    FulfillmentOrder,
    FulfillmentOrderLine,
    OrderLine,
    PickEvent,
    Product,
    ProductBin,
)
from omnigraph.domain.fulfilment import PickLine, PickState

SCAN = "SCAN"
SHORT = "SHORT"
# Picked units taken back to the shelf (a cancellation): they count against the scans.
PUT_BACK = "PUT_BACK"


@dataclass(frozen=True, slots=True)
class PickListLine:
    order_line_id: int
    line_number: int
    product_id: int
    sku: str
    name: str
    barcode: str | None
    bin: str | None
    quantity: int
    picked: int

    def as_payload(self) -> dict[str, Any]:
        return {
            "lineNumber": self.line_number,
            "sku": self.sku,
            "name": self.name,
            "barcode": self.barcode,
            "bin": self.bin,
            "quantity": self.quantity,
            "picked": self.picked,
        }


async def pick_list(session: AsyncSession, fulfilment: FulfillmentOrder) -> list[PickListLine]:
    """The fulfilment order's lines in order-line order, with bins where the location knows
    them and the units scanned so far."""
    return (await pick_lists(session, [fulfilment.id]))[0]


async def pick_lists(
    session: AsyncSession, fulfilment_ids: Sequence[int]
) -> list[list[PickListLine]]:
    """Pick lists of many fulfilment orders in two queries, one list per id in id order;
    picked units are the scans less the units put back."""
    wanted = set(fulfilment_ids)
    rows = await session.execute(
        select(
            FulfillmentOrderLine.fulfillment_order_id,
            FulfillmentOrderLine.quantity,
            OrderLine,
            Product,
            ProductBin.bin,
        )
        .join(FulfillmentOrder, FulfillmentOrder.id == FulfillmentOrderLine.fulfillment_order_id)
        .join(OrderLine, OrderLine.id == FulfillmentOrderLine.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .outerjoin(
            ProductBin,
            (ProductBin.product_id == Product.id)
            & (ProductBin.location_id == FulfillmentOrder.location_id),
        )
        .where(FulfillmentOrderLine.fulfillment_order_id.in_(wanted))
        .order_by(FulfillmentOrderLine.fulfillment_order_id, OrderLine.line_number)
    )
    picked: dict[tuple[int, int], int] = {
        (int(fo_id), int(line_id)): int(total)
        for fo_id, line_id, total in await session.execute(
            select(
                PickEvent.fulfillment_order_id,
                PickEvent.order_line_id,
                func.sum(
                    case(
                        (PickEvent.kind == PUT_BACK, -PickEvent.quantity),
                        else_=PickEvent.quantity,
                    )
                ),
            )
            .where(PickEvent.fulfillment_order_id.in_(wanted), PickEvent.kind.in_((SCAN, PUT_BACK)))
            .group_by(PickEvent.fulfillment_order_id, PickEvent.order_line_id)
        )
    }
    lists: dict[int, list[PickListLine]] = {fo_id: [] for fo_id in wanted}
    for fo_id, quantity, line, product, bin_ in rows:
        lists[fo_id].append(
            PickListLine(
                order_line_id=line.id,
                line_number=line.line_number,
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                barcode=product.barcode,
                bin=bin_,
                quantity=quantity,
                picked=picked.get((fo_id, line.id), 0),
            )
        )
    return [lists[fo_id] for fo_id in fulfilment_ids]


def state_of(lines: Sequence[PickListLine]) -> PickState:
    """The domain's pick state. Short units have already left the fulfilment order (its
    line quantities are what is still to be handed over), so no shorts remain to track."""
    return PickState(
        tuple(
            PickLine(line.order_line_id, line.sku, line.quantity, line.barcode, line.bin)
            for line in lines
        ),
        {line.order_line_id: line.picked for line in lines},
    )
