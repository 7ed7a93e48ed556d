"""Batch lookups for the lifecycle's relations, behind the API's dataloaders."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import Backorder, Package, Return, ReturnLine, Transfer
from omnigraph.services.lookups import grouped_by


async def packages_by_fulfilment(
    session: AsyncSession, fulfilment_ids: Sequence[int]
) -> list[list[Package]]:
    return await grouped_by(
        session, Package, Package.fulfillment_order_id, fulfilment_ids, Package.number
    )


async def backorders_by_order(
    session: AsyncSession, order_ids: Sequence[int]
) -> list[list[Backorder]]:
    return await grouped_by(session, Backorder, Backorder.order_id, order_ids, Backorder.id)


async def returns_by_order(
    session: AsyncSession, order_ids: Sequence[int]
) -> list[list[tuple[Return, list[ReturnLine]]]]:
    """Each order's returns with their lines: two queries for any number of orders."""
    returns = await grouped_by(session, Return, Return.order_id, order_ids, Return.id)
    ids = [ret.id for group in returns for ret in group]
    lines = await grouped_by(session, ReturnLine, ReturnLine.return_id, ids, ReturnLine.id)
    by_return = dict(zip(ids, lines, strict=True))
    return [[(ret, by_return[ret.id]) for ret in group] for group in returns]


async def transfers_by_fulfilment(
    session: AsyncSession, fulfilment_ids: Sequence[int]
) -> list[Transfer | None]:
    rows = await session.scalars(
        select(Transfer).where(Transfer.fulfillment_order_id.in_(set(fulfilment_ids)))
    )
    found = {row.fulfillment_order_id: row for row in rows}
    return [found.get(fulfilment_id) for fulfilment_id in fulfilment_ids]
