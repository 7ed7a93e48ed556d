"""Batch lookups behind the API's dataloaders: one query per relation per request.

Each function takes many keys and returns one result per key, in key order, so a page of
orders costs a fixed number of queries however many orders it holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from omnigraph.db.models import (
    FulfillmentOrder,
    FulfillmentOrderLine,
    InventoryLevel,
    OrderLine,
    Product,
    Shipment,
)
from omnigraph.db.models.base import Base

RowT = TypeVar("RowT", bound=Base)


async def by_ids(session: AsyncSession, model: type[RowT], ids: Sequence[int]) -> list[RowT | None]:
    primary_key: Any = model.id  # type: ignore[attr-defined]
    rows = await session.scalars(select(model).where(primary_key.in_(set(ids))))
    found = {row.id: row for row in rows}  # type: ignore[attr-defined]
    return [found.get(i) for i in ids]


async def grouped_by(
    session: AsyncSession,
    model: type[RowT],
    column: InstrumentedAttribute[int],
    keys: Sequence[int],
    *order_by: Any,
) -> list[list[RowT]]:
    """Rows of ``model`` whose ``column`` is in ``keys``, as one list per key."""
    rows = await session.scalars(select(model).where(column.in_(set(keys))).order_by(*order_by))
    grouped: dict[int, list[RowT]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, column.key)].append(row)
    return [grouped.get(key, []) for key in keys]


async def lines_by_order(session: AsyncSession, order_ids: Sequence[int]) -> list[list[OrderLine]]:
    return await grouped_by(
        session, OrderLine, OrderLine.order_id, order_ids, OrderLine.line_number
    )


async def fulfillments_by_order(
    session: AsyncSession, order_ids: Sequence[int]
) -> list[list[FulfillmentOrder]]:
    return await grouped_by(
        session, FulfillmentOrder, FulfillmentOrder.order_id, order_ids, FulfillmentOrder.id
    )


async def fulfillment_lines_by_fulfillment(
    session: AsyncSession, fulfillment_ids: Sequence[int]
) -> list[list[FulfillmentOrderLine]]:
    return await grouped_by(
        session,
        FulfillmentOrderLine,
        FulfillmentOrderLine.fulfillment_order_id,
        fulfillment_ids,
        FulfillmentOrderLine.id,
    )


async def shipments_by_order(
    session: AsyncSession, order_ids: Sequence[int]
) -> list[list[Shipment]]:
    return await grouped_by(session, Shipment, Shipment.order_id, order_ids, Shipment.id)


async def levels_by_location_product(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> list[InventoryLevel | None]:
    rows = await session.scalars(
        select(InventoryLevel).where(
            InventoryLevel.location_id.in_({k[0] for k in keys}),
            InventoryLevel.product_id.in_({k[1] for k in keys}),
        )
    )
    found = {(row.location_id, row.product_id): row for row in rows}
    return [found.get(k) for k in keys]


async def products_by_skus(session: AsyncSession, skus: Sequence[str]) -> list[Product | None]:
    rows = await session.scalars(select(Product).where(Product.sku.in_(set(skus))))
    found = {row.sku: row for row in rows}
    return [found.get(sku) for sku in skus]
