"""Concurrent orders never fill a location past its daily capacity, on either database: on
PostgreSQL the capture locks the plan's capped locations and counts them again
(``services.capacity``)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update

from omnigraph.db.models import FulfillmentOrder, Location, Order, Product, ProtectedStockRule
from omnigraph.domain.errors import DomainError
from omnigraph.domain.orders import CustomerDetails, LineRequest, OrderRequest
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services import capacity, express_orders, orders
from omnigraph.services.core import Services
from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_express_orders import NOW, request

CAPACITY = 2
ORDERS = 12


@pytest.fixture
def services(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Services:
    """The general path, where the decision and the capture share one transaction, at a
    fixed moment of a working day."""
    harness.services.clock = lambda: NOW
    monkeypatch.setattr(express_orders, "applies", lambda *_: False)
    return harness.services


async def set_locations(services: Services, ids: list[int], **values: object) -> None:
    async with services.unit_of_work() as uow:
        await uow.session.execute(update(Location).where(Location.id.in_(ids)).values(**values))
        await uow.commit()
    services.catalog.invalidate()


async def test_concurrent_orders_leave_a_capped_location_at_its_capacity(
    services: Services, network: Network
) -> None:
    await set_locations(services, [network.loop], daily_capacity=CAPACITY)

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


async def test_concurrent_collections_never_overfill_the_sender_of_their_transfers(
    services: Services, network: Network
) -> None:
    # Oak Park has no tees: each collection there needs a transfer, and only the DC,
    # capped at one order a day, may send one (the other stores do not send).
    await set_locations(services, [network.loop, network.evanston], capabilities=["PICKUP"])
    await set_locations(services, [network.dc], daily_capacity=1)
    collection = OrderRequest(
        channel="WEB",
        method=DeliveryMethod.PICKUP,
        lines=[LineRequest("TEE-001", 1)],
        customer=CustomerDetails("ada@example.com", "Ada Lovelace"),
        pickup_location_id=network.oak_park,
    )

    placed = await asyncio.gather(
        *(orders.create_order(services, collection) for _ in range(6)), return_exceptions=True
    )

    refused = [outcome for outcome in placed if isinstance(outcome, Exception)]
    assert len(refused) == 5
    assert all(isinstance(error, DomainError) for error in refused)
    async with services.db.read_session() as session:
        at_dc = await session.scalar(
            select(func.count())
            .select_from(FulfillmentOrder)
            .where(FulfillmentOrder.location_id == network.dc)
        )
    assert at_dc == 1


async def test_a_capture_caught_in_a_deadlock_runs_again(
    services: Services, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A capture whose selling rules lock its products, against one that holds a capped
    location's lock and then needs one of those products (its order line's foreign key):
    PostgreSQL rolls one back, which captures again instead of failing."""
    if services.db.is_sqlite:
        pytest.skip("SQLite's one writer runs captures one after the other: no lock cycle")
    await set_locations(services, [network.loop], daily_capacity=10)
    async with services.unit_of_work() as uow:
        mug = await uow.session.scalar(select(Product.id).where(Product.sku == "MUG-002"))
        uow.session.add(ProtectedStockRule(product_id=mug, quantity=0, tiers=["PRIORITY"]))
        await uow.commit()
    real = capacity.places_left
    ruled_waits, plain_holds = asyncio.Event(), asyncio.Event()
    attempts: list[str] = []

    async def interleaved(uow, location_ids, catalog, now):
        name = asyncio.current_task().get_name()  # type: ignore[union-attr]
        attempts.append(name)
        if name == "ruled":  # its products are locked by now
            ruled_waits.set()
            await plain_holds.wait()
            return await real(uow, location_ids, catalog, now)
        await ruled_waits.wait()
        left = await real(uow, location_ids, catalog, now)  # the location's lock, held
        plain_holds.set()
        return left

    monkeypatch.setattr(orders, "places_left", interleaved)
    ruled = request(1, lines=[LineRequest("TEE-001", 1), LineRequest("MUG-002", 1)])
    placed = await asyncio.gather(
        asyncio.create_task(orders.create_order(services, ruled), name="ruled"),
        asyncio.create_task(orders.create_order(services, request(1)), name="plain"),
    )

    assert all(outcome.order.id for outcome in placed)
    assert len(attempts) == 3  # one of the two was rolled back and captured again
