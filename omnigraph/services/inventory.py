"""Inventory use cases: adjust and set quantities, commit and release stock for orders.

Every change writes a ledger movement and an ``inventory.changed`` event in the same
transaction as the level it changes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.mapping import level_of
from omnigraph.db.models import InventoryLevel, InventoryMovement, Location, Product
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.inventory import (
    StockLevel,
    check_manual_reason,
    incoming_received,
    plan_adjustment,
    plan_set,
)
from omnigraph.domain.vocabulary import InventoryBucket, MovementReason
from omnigraph.events.types import Topic
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

L = InventoryLevel
# The hot-path statements use the Core table: no ORM identity-map bookkeeping per update.
LEVELS = cast(Table, InventoryLevel.__table__)
MOVEMENTS = cast(Table, InventoryMovement.__table__)
T = LEVELS.c
_AVAILABLE = T.on_hand - T.committed - T.reserved - T.safety_stock - T.damaged
_LEVEL_COLUMNS = (T.id, T.on_hand, T.committed, T.reserved, T.safety_stock, T.damaged, T.incoming)


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelCommand:
    """What every direct change to a level names: where, what, which state, who sent it.

    ``source`` and ``external_id`` together identify the change: sent again, it is replayed.
    """

    location_id: int
    sku: str
    bucket: InventoryBucket = InventoryBucket.ON_HAND
    source: str = "omnigraph"
    external_id: str | None = None
    actor: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustInventory(LevelCommand):
    delta: int
    reason: MovementReason = MovementReason.ADJUSTMENT


@dataclass(frozen=True, slots=True, kw_only=True)
class SetInventory(LevelCommand):
    quantity: int
    reason: MovementReason = MovementReason.CYCLE_COUNT


@dataclass(frozen=True, slots=True)
class LevelView:
    """A level after a change; ``replayed`` when an external id had already been applied."""

    level_id: int
    location_id: int
    product_id: int
    sku: str
    stock: StockLevel
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class StockCommit:
    location_id: int
    product_id: int
    sku: str
    quantity: int


async def _resolve(session: AsyncSession, location_id: int, sku: str) -> tuple[Location, Product]:
    product = await session.scalar(select(Product).where(Product.sku == sku))
    location = await session.get(Location, location_id)
    problems = []
    if location is None:
        problems.append(Problem(("locationId",), ErrorCode.UNKNOWN_LOCATION, "unknown location"))
    if product is None:
        problems.append(Problem(("sku",), ErrorCode.UNKNOWN_SKU, f"unknown SKU {sku!r}"))
    if location is None or product is None:
        raise DomainError(problems)
    return location, product


async def _lock_level(uow: UnitOfWork, location_id: int, product_id: int) -> InventoryLevel:
    """The level row, created empty if this SKU was never stocked here, locked for update."""
    query = select(L).where(L.location_id == location_id, L.product_id == product_id)
    if not uow.is_sqlite:
        query = query.with_for_update()
    row = await uow.session.scalar(query)
    if row is not None:
        return row
    if uow.is_sqlite:
        row = InventoryLevel(location_id=location_id, product_id=product_id)
        uow.session.add(row)
        await uow.session.flush()
        return row
    await uow.session.execute(
        pg_insert(L).values(location_id=location_id, product_id=product_id).on_conflict_do_nothing()
    )
    locked = await uow.session.scalar(query)
    assert locked is not None
    return locked


async def lock_levels(
    uow: UnitOfWork,
    location_id: int,
    product_ids: Collection[int],
    *,
    create: Collection[int] = (),
) -> dict[int, InventoryLevel]:
    """Several levels of one location by product id, locked for update in product order.

    The order matches ``commit_stock``'s, so a batch writer and an order cannot deadlock.
    Products in ``create`` get an empty level if they have none yet; the others are left
    out of the result when missing, so a batch does not create rows it will not use.
    """
    if not product_ids:
        return {}
    query = (
        select(L)
        .where(L.location_id == location_id, L.product_id.in_(sorted(set(product_ids))))
        .order_by(L.product_id)
    )
    if not uow.is_sqlite:
        query = query.with_for_update()
    rows = {row.product_id: row for row in await uow.session.scalars(query)}
    for product_id in sorted(set(create) - set(rows)):
        rows[product_id] = await _lock_level(uow, location_id, product_id)
    return rows


async def _replay(
    uow: UnitOfWork,
    source: str,
    external_id: str | None,
    location_id: int,
    product_id: int,
    bucket: InventoryBucket,
) -> InventoryMovement | None:
    if external_id is None:
        return None
    return await uow.session.scalar(
        select(InventoryMovement).where(
            InventoryMovement.source == source,
            InventoryMovement.external_id == external_id,
            InventoryMovement.location_id == location_id,
            InventoryMovement.product_id == product_id,
            InventoryMovement.bucket == bucket.value,
        )
    )


def change_payload(
    location_id: int, product_id: int, sku: str, before: StockLevel, after: StockLevel, reason: str
) -> dict[str, Any]:
    return {
        "locationId": location_id,
        "productId": product_id,
        "sku": sku,
        "reason": reason,
        "availableBefore": before.available,
        "available": after.available,
        "onHand": after.on_hand,
        "committed": after.committed,
        "reserved": after.reserved,
        "safetyStock": after.safety_stock,
        "damaged": after.damaged,
        "incoming": after.incoming,
    }


async def _apply(
    uow: UnitOfWork,
    row: InventoryLevel,
    sku: str,
    bucket: InventoryBucket,
    after: StockLevel,
    delta: int,
    reason: MovementReason,
    source: str,
    external_id: str | None,
    actor: str | None,
    note: str | None,
) -> LevelView:
    before = level_of(row)
    setattr(row, bucket.value.lower(), after.quantity(bucket))
    row.updated_at = uow.now()
    uow.session.add(
        InventoryMovement(
            location_id=row.location_id,
            product_id=row.product_id,
            bucket=bucket.value,
            delta=delta,
            reason=reason.value,
            actor=actor,
            source=source,
            external_id=external_id,
            note=note,
            created_at=uow.now(),
        )
    )
    uow.record(
        Topic.INVENTORY_CHANGED,
        "inventory_level",
        row.id,
        change_payload(row.location_id, row.product_id, sku, before, after, reason.value),
    )
    await uow.session.flush()
    return LevelView(row.id, row.location_id, row.product_id, sku, after)


async def apply_change(
    uow: UnitOfWork,
    row: InventoryLevel,
    sku: str,
    bucket: InventoryBucket,
    after: StockLevel,
    delta: int,
    reason: MovementReason,
    *,
    source: str,
    external_id: str | None,
    actor: str | None = None,
    note: str | None = None,
) -> LevelView:
    """Move a locked level to ``after``, writing its ledger movement and ``inventory.changed``.

    For use cases that change several levels in one unit of work (a cycle count); the
    caller has already decided ``after`` through the domain.
    """
    return await _apply(
        uow, row, sku, bucket, after, delta, reason, source, external_id, actor, note
    )


async def _open_level(
    uow: UnitOfWork, command: LevelCommand
) -> tuple[Product, InventoryLevel, InventoryMovement | None]:
    """The product, its level locked for update, and the movement ``command`` replays (if any).

    Locking before looking for a replay matters: a concurrent request with the same
    external id then waits for this one and finds its movement, instead of both passing.
    """
    location, product = await _resolve(uow.session, command.location_id, command.sku)
    row = await _lock_level(uow, location.id, product.id)
    previous = await _replay(
        uow, command.source, command.external_id, location.id, product.id, command.bucket
    )
    return product, row, previous


async def adjust_inventory(services: Services, command: AdjustInventory) -> LevelView:
    """Add ``delta`` to one quantity state (receipts, shrinkage, damage, incoming supply)."""
    check_manual_reason(command.reason.value)
    async with services.unit_of_work(actor=command.actor) as uow:
        product, row, previous = await _open_level(uow, command)
        if previous is not None:
            if previous.delta != command.delta:
                raise DomainError.single(
                    ("externalId",),
                    ErrorCode.IDEMPOTENCY_CONFLICT,
                    f"external id {command.external_id} was already applied"
                    f" with delta {previous.delta}",
                )
            return LevelView(
                row.id, row.location_id, product.id, product.sku, level_of(row), replayed=True
            )
        after = plan_adjustment(level_of(row), command.bucket, command.delta)
        view = await _apply(
            uow,
            row,
            product.sku,
            command.bucket,
            after,
            command.delta,
            command.reason,
            command.source,
            command.external_id,
            command.actor,
            command.note,
        )
        arrived = incoming_received(level_of(row), command.bucket, command.reason, command.delta)
        if arrived:
            view = await _apply(
                uow,
                row,
                product.sku,
                InventoryBucket.INCOMING,
                plan_adjustment(level_of(row), InventoryBucket.INCOMING, -arrived),
                -arrived,
                command.reason,
                command.source,
                None,  # the receipt's external id is spent on its on-hand movement
                command.actor,
                "received against incoming supply",
            )
            if row.incoming == 0:
                row.incoming_expected_at = None
        await uow.commit()
        return view


async def _ledger_total_at(session: AsyncSession, movement: InventoryMovement) -> int:
    """The quantity of the movement's bucket right after it, summed from the ledger."""
    total = await session.scalar(
        select(func.coalesce(func.sum(InventoryMovement.delta), 0)).where(
            InventoryMovement.location_id == movement.location_id,
            InventoryMovement.product_id == movement.product_id,
            InventoryMovement.bucket == movement.bucket,
            InventoryMovement.id <= movement.id,
        )
    )
    return int(total or 0)


async def set_inventory(services: Services, command: SetInventory) -> LevelView:
    """Set one quantity state to an absolute count (a count from a store or a WMS)."""
    check_manual_reason(command.reason.value)
    async with services.unit_of_work(actor=command.actor) as uow:
        product, row, previous = await _open_level(uow, command)
        if previous is not None:
            # The ledger's running total at that movement is what the first request set.
            first_target = await _ledger_total_at(uow.session, previous)
            if first_target != command.quantity:
                raise DomainError.single(
                    ("externalId",),
                    ErrorCode.IDEMPOTENCY_CONFLICT,
                    f"external id {command.external_id} already set "
                    f"{command.bucket.value} to {first_target}",
                )
            return LevelView(
                row.id, row.location_id, product.id, product.sku, level_of(row), replayed=True
            )
        after, delta = plan_set(level_of(row), command.bucket, command.quantity)
        if delta == 0:
            if command.external_id is not None:
                # Nothing moves, but the count is recorded so its external id is spent.
                uow.session.add(
                    InventoryMovement(
                        location_id=row.location_id,
                        product_id=row.product_id,
                        bucket=command.bucket.value,
                        delta=0,
                        reason=command.reason.value,
                        actor=command.actor,
                        source=command.source,
                        external_id=command.external_id,
                        note=command.note,
                        created_at=uow.now(),
                    )
                )
                await uow.commit()
            return LevelView(row.id, row.location_id, product.id, product.sku, after)
        view = await _apply(
            uow,
            row,
            product.sku,
            command.bucket,
            after,
            delta,
            command.reason,
            command.source,
            command.external_id,
            command.actor,
            command.note,
        )
        await uow.commit()
        return view


@dataclass(frozen=True, slots=True)
class _Change:
    """One bucket a conditional update moves, and the ledger reason it is recorded under."""

    bucket: InventoryBucket
    sign: int
    reason: MovementReason


@dataclass(frozen=True, slots=True)
class _Move:
    """A conditional UPDATE built once (building costs far more than executing on the hot
    path) and the buckets it changes; the last change names the ``inventory.changed``."""

    statement: Any
    changes: tuple[_Change, ...]


def _conditional_update(condition: Any, **values: Any) -> Any:
    return (
        update(LEVELS)
        .where(
            T.location_id == bindparam("b_location_id"),
            T.product_id == bindparam("b_product_id"),
            condition,
        )
        .values(**values, updated_at=bindparam("b_now"))
        .returning(*_LEVEL_COLUMNS)
    )


_QUANTITY: Any = bindparam("b_quantity")
_COMMITTED = _Change(InventoryBucket.COMMITTED, +1, MovementReason.COMMIT)
_COMMIT = _Move(
    _conditional_update(_QUANTITY <= _AVAILABLE, committed=T.committed + _QUANTITY), (_COMMITTED,)
)
_RELEASE = _Move(
    _conditional_update(T.committed >= _QUANTITY, committed=T.committed - _QUANTITY),
    (_Change(InventoryBucket.COMMITTED, -1, MovementReason.RELEASE),),
)
_RESERVE = _Move(
    _conditional_update(_QUANTITY <= _AVAILABLE, reserved=T.reserved + _QUANTITY),
    (_Change(InventoryBucket.RESERVED, +1, MovementReason.RESERVATION),),
)
_UNRESERVED = _Change(InventoryBucket.RESERVED, -1, MovementReason.RELEASE)
_UNRESERVE = _Move(
    _conditional_update(T.reserved >= _QUANTITY, reserved=T.reserved - _QUANTITY), (_UNRESERVED,)
)
# Converting a hold into an order needs the held units, not available ones: it never
# competes with other buyers for stock that is already set aside for this cart.
_CONVERT = _Move(
    _conditional_update(
        T.reserved >= _QUANTITY,
        reserved=T.reserved - _QUANTITY,
        committed=T.committed + _QUANTITY,
    ),
    (_UNRESERVED, _COMMITTED),
)


def _stock_from_row(row: Any) -> StockLevel:
    return StockLevel(
        row.on_hand, row.committed, row.reserved, row.safety_stock, row.damaged, row.incoming
    )


async def _move_stock(
    uow: UnitOfWork,
    move: _Move,
    lines: Sequence[StockCommit],
    *,
    order_id: int | None = None,
    external_id: str | None = None,
    note: str | None = None,
) -> bool:
    """Apply one conditional update per line; False as soon as one finds too little stock.

    Lines are taken in (location, product) order so two transactions touching the same
    levels on PostgreSQL lock them in the same order and cannot deadlock.
    """
    now = uow.now()
    reason = move.changes[-1].reason
    movements: list[dict[str, Any]] = []
    for line in sorted(lines, key=lambda c: (c.location_id, c.product_id)):
        result = await uow.session.execute(
            move.statement,
            {
                "b_location_id": line.location_id,
                "b_product_id": line.product_id,
                "b_quantity": line.quantity,
                "b_now": now,
            },
        )
        row = result.first()
        if row is None:
            return False
        after = _stock_from_row(row)
        before = after
        for change in move.changes:
            before = before.with_quantity(
                change.bucket, before.quantity(change.bucket) - change.sign * line.quantity
            )
            movements.append(
                {
                    "location_id": line.location_id,
                    "product_id": line.product_id,
                    "bucket": change.bucket.value,
                    "delta": change.sign * line.quantity,
                    "reason": change.reason.value,
                    "actor": uow.actor,
                    "source": "omnigraph",
                    "external_id": external_id,
                    "order_id": order_id,
                    "note": note,
                    "created_at": now,
                }
            )
        uow.record(
            Topic.INVENTORY_CHANGED,
            "inventory_level",
            row.id,
            change_payload(
                line.location_id, line.product_id, line.sku, before, after, reason.value
            ),
            order_id=order_id,
        )
    if movements:
        await uow.session.execute(insert(MOVEMENTS), movements)
    return True


async def commit_stock(uow: UnitOfWork, lines: Sequence[StockCommit], order_id: int) -> bool:
    """Hold stock for an order; False (and nothing usable) if any level lacks it.

    The check and the increment are one conditional UPDATE, so two buyers can never both
    take the last unit, on SQLite or PostgreSQL. The caller rolls back on False.
    """
    return await _move_stock(uow, _COMMIT, lines, order_id=order_id)


async def release_stock(uow: UnitOfWork, lines: Sequence[StockCommit], order_id: int) -> None:
    """Give an order's held stock back (cancellation)."""
    if not await _move_stock(uow, _RELEASE, lines, order_id=order_id):
        raise RuntimeError(f"order {order_id} released more stock than it had committed")


async def reserve_stock(uow: UnitOfWork, lines: Sequence[StockCommit], external_id: str) -> bool:
    """Set stock aside for a checkout (``reserved += q`` while available); False if any
    level lacks it, as ``commit_stock``. ``external_id`` names the hold in the ledger."""
    return await _move_stock(uow, _RESERVE, lines, external_id=external_id)


async def unreserve_stock(
    uow: UnitOfWork, lines: Sequence[StockCommit], external_id: str, note: str
) -> None:
    """Give a checkout hold back (released or expired); ``note`` says which."""
    if not await _move_stock(uow, _UNRESERVE, lines, external_id=external_id, note=note):
        raise RuntimeError(f"{external_id} released more stock than it had reserved")


async def convert_reserved_stock(
    uow: UnitOfWork, lines: Sequence[StockCommit], order_id: int, external_id: str
) -> bool:
    """Move held units from ``reserved`` to ``committed`` for an order; False only if the
    levels no longer hold them (which a correct caller never sees)."""
    return await _move_stock(uow, _CONVERT, lines, order_id=order_id, external_id=external_id)
