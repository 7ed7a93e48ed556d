"""Concurrent orders never fill a location past its daily capacity, on either database: on
PostgreSQL the capture locks the plan's capped locations and counts them again
(``services.capacity``)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, update

from omnigraph.db.models import FulfillmentOrder, Location, Order
from omnigraph.services import express_orders, orders
from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_express_orders import NOW, request

CAPACITY = 2
ORDERS = 12


async def test_concurrent_orders_leave_a_capped_location_at_its_capacity(
    harness: Harness, network: Network, monkeypatch
) -> None:
    services = harness.services
    services.clock = lambda: NOW
    # The general path, where the decision and the capture share one transaction.
    monkeypatch.setattr(express_orders, "applies", lambda *_: False)
    async with services.unit_of_work() as uow:
        await uow.session.execute(
            update(Location).where(Location.id == network.loop).values(daily_capacity=CAPACITY)
        )
        await uow.commit()
    services.catalog.invalidate()

    placed = await asyncio.gather(
        *(orders.create_order(services, request(1)) for _ in range(ORDERS))
    )

    assert len({outcome.order.id for outcome in placed}) == ORDERS
    async with services.db.read_session() as session:
        by_location = dict(
            (
                await session.execute(
                    select(FulfillmentOrder.location_id, func.count()).group_by(
                        FulfillmentOrder.location_id
                    )
                )
            ).all()
        )
        order_count = await session.scalar(select(func.count()).select_from(Order))
    assert by_location[network.loop] == CAPACITY  # the nearest: filled, never past it
    assert sum(by_location.values()) == order_count == ORDERS
