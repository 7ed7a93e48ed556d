"""Orders waiting for incoming supply: claiming it at capture, and filling it on receipt.

An order captured against incoming supply (a future-dated order, or a method whose rules
allow backorders) keeps a ``Backorder`` row per line and location for the units that
arrive later. Until filled, those rows claim the location's incoming units: sourcing
subtracts them (``waiting_units``), so two orders never wait for the same unit. When the
location's on-hand stock rises (a receipt), the oldest waiting backorders are filled first:
their units are committed and a released fulfilment order takes them to the customer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.mapping import level_of
from omnigraph.db.models import (
    Backorder,
    InventoryLevel,
    Order,
    OrderLine,
    Product,
)
from omnigraph.domain.sourcing import Backorder as PlannedBackorder
from omnigraph.domain.supply import claims_fit
from omnigraph.domain.vocabulary import (
    DeliveryMethod,
    FulfillmentKind,
    InventoryBucket,
    OrderStatus,
    PaymentStatus,
)
from omnigraph.services.fulfilment_orders import open_fulfilment
from omnigraph.services.inventory import LevelView, StockCommit, commit_stock
from omnigraph.services.release import release_fulfilment
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.transitions import locked_order, roll_up
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

L = InventoryLevel
Key = tuple[int, int]  # (location id, product id)


@dataclass(frozen=True, slots=True)
class SupplyClaim:
    """Units of a product an order waits for at a location, from supply expected then."""

    location_id: int
    product_id: int
    sku: str
    quantity: int
    expected_on: date
    arrives_on: date


def supply_claims(
    backorders: Sequence[PlannedBackorder], products: Mapping[str, Product]
) -> list[SupplyClaim]:
    return [
        SupplyClaim(
            b.location_id,
            products[b.sku].id,
            b.sku,
            b.quantity,
            b.available_on,
            b.arrives_on,
        )
        for b in backorders
    ]


def _waiting_query(keys: Collection[Key] | None = None) -> Select[int | None, int, int]:
    """Waiting units by (location, product), for ``keys`` only when given."""
    query = (
        select(
            Backorder.location_id.label("location_id"),
            OrderLine.product_id.label("product_id"),
            func.sum(Backorder.quantity).label("units"),
        )
        .join(OrderLine, OrderLine.id == Backorder.order_line_id)
        .join(Order, Order.id == Backorder.order_id)
        .where(
            Backorder.location_id.is_not(None),
            Backorder.filled_at.is_(None),
            Order.status != OrderStatus.CANCELLED.value,
        )
        .group_by(Backorder.location_id, OrderLine.product_id)
    )
    if keys:
        query = query.where(
            or_(
                *(
                    and_(Backorder.location_id == location, OrderLine.product_id == product)
                    for location, product in sorted(keys)
                )
            )
        )
    return query


async def waiting_units(session: AsyncSession, product_ids: Iterable[int]) -> dict[Key, int]:
    """Incoming units already promised to waiting orders, by (location, product)."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    rows = await session.execute(_waiting_query().where(OrderLine.product_id.in_(wanted)))
    return _by_key(rows)


def _by_key(rows: Iterable[tuple[int | None, int, int]]) -> dict[Key, int]:
    # The query keeps backorders with a location only.
    return {(loc, product): int(units) for loc, product, units in rows if loc is not None}


async def claim_incoming(
    uow: UnitOfWork, claims: Sequence[SupplyClaim], committing: Sequence[StockCommit]
) -> bool:
    """Whether the incoming supply ``claims`` wait for is still free; False if another
    order took it since sourcing (the caller sources again).

    Every level the order touches is locked first, in (location, product) order as
    ``commit_stock`` does, so two captures cannot deadlock and no capture can claim the
    same units between this check and its commit.
    """
    if not claims:
        return True
    keys = sorted(
        {(c.location_id, c.product_id) for c in claims}
        | {(c.location_id, c.product_id) for c in committing}
    )
    claimed = {(c.location_id, c.product_id) for c in claims}
    query = (
        select(L.location_id, L.product_id, L.incoming)
        .where(or_(*(and_(L.location_id == loc, L.product_id == pid) for loc, pid in keys)))
        .order_by(L.location_id, L.product_id)
    )
    if not uow.is_sqlite:
        query = query.with_for_update()
    incoming = {(loc, pid): units for loc, pid, units in await uow.session.execute(query)}
    waiting = _by_key(await uow.session.execute(_waiting_query(claimed)))
    wanted: dict[Key, int] = defaultdict(int)
    for claim in claims:
        wanted[(claim.location_id, claim.product_id)] += claim.quantity
    return claims_fit(incoming, waiting, wanted)


def open_backorders(
    uow: UnitOfWork,
    order: Order,
    claims: Sequence[SupplyClaim],
    lines: Mapping[str, OrderLine],
) -> list[Backorder]:
    """The order's waiting units, one row per line and location."""
    rows = [
        Backorder(
            order_id=order.id,
            order_line_id=lines[claim.sku].id,
            quantity=claim.quantity,
            reason=f"waits for supply expected {claim.expected_on.isoformat()}",
            created_at=uow.now(),
            location_id=claim.location_id,
            expected_on=claim.expected_on,
            arrives_on=claim.arrives_on,
        )
        for claim in claims
    ]
    uow.session.add_all(rows)
    return rows


async def drop_waiting(uow: UnitOfWork, order_id: int, reason: str) -> int:
    """Stop the order's unfilled backorders (a change sources the order again from scratch);
    their claim on incoming supply ends with them. How many were dropped."""
    rows = list(
        await uow.session.scalars(
            select(Backorder)
            .where(Backorder.order_id == order_id, Backorder.filled_at.is_(None))
            .order_by(Backorder.id)
        )
    )
    for backorder in rows:
        record_change(
            uow,
            order_id=order_id,
            subject=Subject.BACKORDER,
            subject_id=backorder.id,
            before="BACKORDERED",
            after="CANCELLED",
            reason=reason,
            details={"quantity": backorder.quantity},
            publish=False,
        )
        await uow.session.delete(backorder)
    return len(rows)


# An order past these has left its remorse window and its payment is clear: a filled
# backorder is released to its location at once. Before, it waits on an OPEN fulfilment
# order for the order's own release.
_RELEASED = frozenset(
    {
        OrderStatus.RELEASED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.PARTIALLY_FULFILLED,
        OrderStatus.FULFILLED,
    }
)


async def waiting_at(services: Services) -> list[Key]:
    """Every (location, product) with a backorder waiting for supply."""
    async with services.db.read_session() as session:
        rows = await session.execute(
            select(Backorder.location_id, OrderLine.product_id)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .join(Order, Order.id == Backorder.order_id)
            .where(
                Backorder.location_id.is_not(None),
                Backorder.filled_at.is_(None),
                Order.status != OrderStatus.CANCELLED.value,
            )
            .distinct()
        )
        return sorted((loc, product) for loc, product in rows if loc is not None)


async def fill_waiting(
    services: Services, location_id: int, product_id: int, reason: str
) -> list[int]:
    """Fill the oldest backorders waiting for ``product_id`` at ``location_id`` while its
    available stock covers each in full (a later, smaller one never jumps the queue); the
    ids of the fulfilment orders that took them.

    Runs after the stock arrived, each backorder in its own transaction that locks the order
    before the stock, as cancellations do, so the two never deadlock and a cancelled order
    or line is never filled. The receipt itself is already committed: a fill that fails
    leaves it alone and is tried again by ``fill_all_waiting``.
    """
    async with services.db.read_session() as session:
        queue = list(
            (
                await session.execute(
                    select(Backorder.id, Backorder.order_id)
                    .join(OrderLine, OrderLine.id == Backorder.order_line_id)
                    .join(Order, Order.id == Backorder.order_id)
                    .where(
                        Backorder.location_id == location_id,
                        Backorder.filled_at.is_(None),
                        OrderLine.product_id == product_id,
                        # A cancelled order's backorders wait for nothing.
                        Order.status != OrderStatus.CANCELLED.value,
                    )
                    .order_by(Backorder.created_at, Backorder.id)
                )
            ).all()
        )
    filled: list[int] = []
    for backorder_id, order_id in queue:
        outcome = await _fill_one(services, backorder_id, order_id, reason)
        if outcome is _Fill.SHORT:
            break
        if isinstance(outcome, int):
            filled.append(outcome)
    return filled


async def fill_after_stock_change(
    services: Services, view: LevelView, bucket: InventoryBucket
) -> LevelView:
    """After a change of ``bucket`` at a level: more on hand may fill waiting backorders.
    The level as it is afterwards (with what the fills committed)."""
    if bucket is not InventoryBucket.ON_HAND:
        return view
    filled = await fill_waiting(services, view.location_id, view.product_id, f"{view.sku} received")
    if not filled:
        return view
    async with services.db.read_session() as session:
        row = await session.get(InventoryLevel, view.level_id)
        assert row is not None  # levels are never deleted
        return replace(view, stock=level_of(row))


async def fill_all_waiting(services: Services) -> int:
    """Fill what stock now allows everywhere (stock also comes back from cancellations,
    returns and transfers); the periodic job. How many backorders were filled."""
    total = 0
    for location_id, product_id in await waiting_at(services):
        total += len(await fill_waiting(services, location_id, product_id, "stock available"))
    return total


class _Fill(Enum):
    SHORT = "SHORT"  # not enough stock for this one: later ones wait behind it
    SKIPPED = "SKIPPED"  # filled meanwhile, or its order or line was cancelled


async def _fill_one(
    services: Services, backorder_id: int, order_id: int, reason: str
) -> int | _Fill:
    async with services.unit_of_work(actor="backorders") as uow:
        order = await locked_order(uow, order_id)
        backorder = await uow.session.get(Backorder, backorder_id)
        if backorder is None or backorder.filled_at is not None:
            return _Fill.SKIPPED
        line = await uow.session.get(OrderLine, backorder.order_line_id)
        assert line is not None and backorder.location_id is not None
        if order.status == OrderStatus.CANCELLED.value or line.quantity_cancelled >= line.quantity:
            return _Fill.SKIPPED
        product = await uow.session.get(Product, line.product_id)
        assert product is not None
        method = DeliveryMethod(order.delivery_method)
        kind = FulfillmentKind.PICKUP if method.is_collection else FulfillmentKind.SHIP
        why = f"{reason}: backorder filled"
        fulfilment = await open_fulfilment(
            uow,
            order.id,
            kind,
            backorder.location_id,
            0.0,
            {product.sku: backorder.quantity},
            {product.sku: line},
            why,
        )
        commit = StockCommit(backorder.location_id, product.id, product.sku, backorder.quantity)
        if not await commit_stock(uow, [commit], order.id):
            return _Fill.SHORT  # leaving without a commit rolls the fulfilment order back
        released = OrderStatus(order.status) in _RELEASED
        if released and order.payment_status != PaymentStatus.ON_HOLD.value:
            await release_fulfilment(uow, fulfilment, why)
        backorder.filled_at = uow.now()
        record_change(
            uow,
            order_id=order.id,
            subject=Subject.BACKORDER,
            subject_id=backorder.id,
            before="BACKORDERED",
            after="FILLED",
            reason=why,
            details={
                "lineNumber": line.line_number,
                "quantity": backorder.quantity,
                "fulfillmentOrderId": fulfilment.id,
            },
            publish=False,
        )
        await roll_up(uow, order, why)
        await uow.commit()
        return fulfilment.id
