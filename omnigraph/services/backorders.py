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
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.mapping import level_of
from omnigraph.db.models import (
    Backorder,
    FulfillmentOrder,
    InventoryLevel,
    Order,
    OrderLine,
    Product,
)
from omnigraph.domain.sourcing import Backorder as PlannedBackorder
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentKind, OrderStatus
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.inventory import StockCommit

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
    return all(incoming.get(key, 0) - waiting.get(key, 0) >= units for key, units in wanted.items())


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


async def fill_waiting(
    uow: UnitOfWork, level: InventoryLevel, reason: str
) -> list[FulfillmentOrder]:
    """Fill the oldest backorders waiting at ``level``'s location for its product, while
    its available stock covers each in full (a later, smaller one never jumps the queue).

    ``level`` is locked by the caller. Each filled backorder gets a released fulfilment
    order holding its units; the order's timeline says so.
    """
    # Imported here: fulfilment builds on inventory, which calls this after receipts.
    from omnigraph.services.resourcing import new_fulfilment
    from omnigraph.services.transitions import roll_up

    rows = (
        await uow.session.execute(
            select(Backorder, OrderLine, Order)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .join(Order, Order.id == Backorder.order_id)
            .where(
                Backorder.location_id == level.location_id,
                Backorder.filled_at.is_(None),
                OrderLine.product_id == level.product_id,
                Order.status != OrderStatus.CANCELLED.value,
            )
            .order_by(Backorder.created_at, Backorder.id)
        )
    ).all()
    if not rows:
        return []
    product = await uow.session.get(Product, level.product_id)
    assert product is not None  # inventory_levels.product_id is a foreign key
    available = level_of(level).available
    filled: list[FulfillmentOrder] = []
    for backorder, line, order in rows:
        if backorder.quantity > available:
            break
        method = DeliveryMethod(order.delivery_method)
        kind = FulfillmentKind.PICKUP if method.is_collection else FulfillmentKind.SHIP
        why = f"{reason}: backorder filled"
        fulfilment = await new_fulfilment(
            uow,
            order,
            kind,
            level.location_id,
            0.0,
            {line: backorder.quantity},
            {product.sku: product},
            why,
        )
        backorder.filled_at = uow.now()
        available -= backorder.quantity
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
        )
        await roll_up(uow, order, why)
        filled.append(fulfilment)
    return filled
