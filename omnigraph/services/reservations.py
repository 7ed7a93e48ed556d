"""Checkout reservations: hold stock for a cart, release it, expire it, convert it into an order.

Every change of a hold moves ``reserved`` on the levels with a conditional UPDATE, writes a
ledger movement (``RESERVATION`` +q when held; ``RELEASE`` -q when released, expired or
converted) and an ``inventory.changed`` event, in one transaction with the status change.

Ending a hold is a conditional status UPDATE (``WHERE status = 'ACTIVE'``) and its stock is
given back only when that UPDATE matched, so the sweeper, a lazy expiry, a release and a
conversion racing for the same hold end it exactly once. The ledger's external id
``reservation:<id>:end`` is unique per level and bucket too, a second line of defence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import Location, Product, Reservation, ReservationLine
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import line_problems
from omnigraph.domain.promise import PlanRefusal, plan_fulfilment, refusal_error
from omnigraph.domain.reservations import (
    ReservationStatus,
    cart_id_problems,
    effective_status,
    is_due,
    placement_problems,
    request_fingerprint,
    reservation_method,
    reservation_ttl,
)
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services import express_reservations
from omnigraph.services.catalog_cache import CatalogCache
from omnigraph.services.inventory import (
    reserve_stock,
    unreserve_stock,
)
from omnigraph.services.network import (
    StockedLocation,
    network_available,
    products_by_sku,
    stocked_locations,
    to_candidates,
)
from omnigraph.services.reservation_views import (
    ReservationRequest,
    ReservationView,
    ReservedLine,
)
from omnigraph.services.stock_rules import channel_exists, check_sellable, ruled_and_locked
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

logger = logging.getLogger(__name__)

# A lost race re-sources from fresh stock; a caller is refused only when that fresh plan
# finds too little. The bound guards against livelock, not against contention.
MAX_ATTEMPTS = 100
SWEEP_BATCH = 100
_ACTIVE = ReservationStatus.ACTIVE.value
_EXPIRED = ReservationStatus.EXPIRED
R = Reservation


@dataclass(frozen=True, slots=True)
class ReservationOutcome:
    reservation: ReservationView
    replayed: bool = False


class _Contended(Exception):
    """A concurrent writer changed the stock or the cart's hold; try again from fresh reads."""


# -- reading ------------------------------------------------------------------------------


async def lines_of(
    session: AsyncSession, reservation_ids: Iterable[int]
) -> dict[int, list[ReservedLine]]:
    ids = sorted(set(reservation_ids))
    found: dict[int, list[ReservedLine]] = {rid: [] for rid in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(ReservationLine, Product.sku)
        .join(Product, Product.id == ReservationLine.product_id)
        .where(ReservationLine.reservation_id.in_(ids))
        .order_by(ReservationLine.id)
    )
    for line, sku in rows:
        found[line.reservation_id].append(
            ReservedLine(line.location_id, line.product_id, sku, line.quantity)
        )
    return found


def _view(row: Reservation, lines: Sequence[ReservedLine], now: datetime) -> ReservationView:
    return ReservationView(
        id=row.id,
        cart_id=row.cart_id,
        status=effective_status(ReservationStatus(row.status), row.expires_at, now),
        delivery_method=DeliveryMethod(row.delivery_method),
        pickup_location_id=row.pickup_location_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
        ended_at=row.ended_at,
        order_id=row.order_id,
        lines=tuple(lines),
    )


async def get_reservations(
    services: Services, reservation_ids: Sequence[int]
) -> list[ReservationView | None]:
    """Reservations by id, in the order asked; unknown ids give ``None``."""
    now = services.clock()
    async with services.db.read_session() as session:
        rows = {
            row.id: row
            for row in await session.scalars(select(R).where(R.id.in_(set(reservation_ids))))
        }
        lines = await lines_of(session, rows)
    return [_view(rows[rid], lines[rid], now) if rid in rows else None for rid in reservation_ids]


async def reservation_for_cart(services: Services, cart_id: str) -> ReservationView | None:
    """The cart's most recent reservation (its live one, if it has one)."""
    async with services.db.read_session() as session:
        rid = await session.scalar(
            select(R.id).where(R.cart_id == cart_id).order_by(R.id.desc()).limit(1)
        )
    if rid is None:
        return None
    return (await get_reservations(services, [rid]))[0]


# -- ending holds -------------------------------------------------------------------------


async def end_hold(
    uow: UnitOfWork,
    reservation_id: int,
    status: ReservationStatus,
    now: datetime,
    *,
    order_id: int | None = None,
    unless_due: bool = False,
) -> bool:
    """ACTIVE -> ``status`` if still ACTIVE (and, with ``unless_due``, not yet due)."""
    condition = [R.id == reservation_id, R.status == _ACTIVE]
    if unless_due:
        condition.append(R.expires_at > now)
    values: dict[str, object] = {"status": status.value, "ended_at": now, "updated_at": now}
    if order_id is not None:
        values["order_id"] = order_id
    matched = await uow.session.scalar(update(R).where(*condition).values(**values).returning(R.id))
    return matched is not None


def end_external_id(reservation_id: int) -> str:
    """The ledger id of the movements that end a hold: one ending per level and bucket."""
    return f"reservation:{reservation_id}:end"


@dataclass(frozen=True, slots=True)
class _Step:
    """One level's share of ending a hold (``hold=False``) or of making one."""

    line: ReservedLine
    hold: bool
    external_id: str
    note: str | None = None

    async def run(self, uow: UnitOfWork) -> bool:
        if self.hold:
            return await reserve_stock(uow, [self.line.commit], self.external_id)
        await unreserve_stock(uow, [self.line.commit], self.external_id, self.note or "")
        return True


def _give_back(reservation_id: int, lines: Iterable[ReservedLine], note: str) -> list[_Step]:
    return [_Step(line, False, end_external_id(reservation_id), note) for line in lines]


def _holds(reservation_id: int, lines: Iterable[ReservedLine]) -> list[_Step]:
    return [_Step(line, True, f"reservation:{reservation_id}:hold") for line in lines]


async def _move_in_level_order(uow: UnitOfWork, steps: Iterable[_Step]) -> bool:
    """Run single-level steps in (location, product) order across all holds; False when a
    hold finds too little stock.

    Sorting across holds keeps ``commit_stock``'s global lock order even when one
    transaction ends one hold and makes another; at a level both touch, the give-back
    goes first so the units it frees can be held again.
    """
    ordered = sorted(steps, key=lambda s: (s.line.location_id, s.line.product_id, s.hold))
    for step in ordered:
        if not await step.run(uow):
            return False
    return True


async def _expire(uow: UnitOfWork, reservation_ids: Sequence[int], now: datetime) -> int:
    """Expire those of ``reservation_ids`` still ACTIVE and due; give their stock back."""
    ended = [rid for rid in sorted(reservation_ids) if await end_hold(uow, rid, _EXPIRED, now)]
    lines = await lines_of(uow.session, ended)
    steps = [step for rid in ended for step in _give_back(rid, lines[rid], "expired")]
    await _move_in_level_order(uow, steps)
    return len(ended)


async def expire_due(
    services: Services, *, skus: Sequence[str] | None = None, limit: int = SWEEP_BATCH
) -> int:
    """Expire up to ``limit`` due holds (only those holding one of ``skus``, if given).

    Looks first in a read session so the usual case, nothing due, costs one indexed read
    and no write transaction. Returns how many holds this call expired.
    """
    now = services.clock()
    product_ids: list[int] | None = None
    if skus is not None:
        products = await services.catalog.products(sorted(set(skus)))
        if not products:
            return 0
        product_ids = sorted(product.id for product in products.values())
    query = due_holds_query(now, product_ids, limit, by_hold=services.db.is_sqlite)
    async with services.db.read_session() as session:
        due = list(await session.scalars(query))
    if not due:
        return 0
    async with services.unit_of_work(actor="reservations") as uow:
        expired = await _expire(uow, due, now)
        await uow.commit()
    return expired


def due_holds_query(
    now: datetime, product_ids: Sequence[int] | None, limit: int, *, by_hold: bool = False
) -> Select[int]:
    """The ids of up to ``limit`` holds due at ``now``, soonest first (only holds of
    ``product_ids``, if given).

    ``by_hold`` (SQLite) reads each due hold's lines by hold: without statistics SQLite breaks
    the tie between the two indexes of the lines toward the product's, whose lines of a hot
    SKU grow with every checkout (``+ 0`` keeps it off that index). PostgreSQL plans the
    semi-join from its statistics and is left the choice: with many due holds of a rare SKU
    the product's index is the better start.
    """
    query = select(R.id).where(R.status == _ACTIVE, R.expires_at <= now)
    if product_ids is not None:
        product = ReservationLine.product_id + 0 if by_hold else ReservationLine.product_id
        query = query.where(
            select(ReservationLine.id)
            .where(ReservationLine.reservation_id == R.id, product.in_(product_ids))
            .exists()
        )
    return query.order_by(R.expires_at, R.id).limit(limit)


async def release_reservation(
    services: Services, reservation_id: int, actor: str | None = None
) -> ReservationView:
    """Let go of a hold. Releasing one that already ended changes nothing and returns it
    (the stock is back either way); a CONVERTED one is an error: cancel the order instead."""
    now = services.clock()
    async with services.unit_of_work(actor=actor) as uow:
        row = await uow.session.get(R, reservation_id)
        if row is None:
            raise DomainError.single(("reservationId",), ErrorCode.NOT_FOUND, "no such reservation")
        status = ReservationStatus(row.status)
        if status is ReservationStatus.CONVERTED:
            raise DomainError.single(
                ("reservationId",),
                ErrorCode.RESERVATION_NOT_ACTIVE,
                "the reservation became an order; cancel the order to give the stock back",
            )
        if status is ReservationStatus.ACTIVE:
            # A due hold is recorded as what it is, EXPIRED, even when released late.
            ending = _EXPIRED if is_due(status, row.expires_at, now) else ReservationStatus.RELEASED
            if await end_hold(uow, row.id, ending, now):
                lines = (await lines_of(uow.session, [row.id]))[row.id]
                note = "expired" if ending is _EXPIRED else "released"
                await _move_in_level_order(uow, _give_back(row.id, lines, note))
        await uow.commit()
    views = await get_reservations(services, [reservation_id])
    assert views[0] is not None
    return views[0]


# -- holding ------------------------------------------------------------------------------


def _validate(request: ReservationRequest, products: dict[str, Product]) -> DeliveryMethod:
    method = reservation_method(request.method, request.pickup_location_id)
    problems: list[Problem] = [
        *cart_id_problems(request.cart_id),
        *line_problems(request.lines, products),
        *placement_problems(method, request.destination, request.pickup_location_id),
    ]
    try:
        reservation_ttl(request.ttl_seconds)
    except DomainError as error:
        problems.extend(error.problems)
    if problems:
        raise DomainError(problems)
    return method


async def _with_returned(
    catalog: CatalogCache,
    session: AsyncSession,
    stocked: list[StockedLocation],
    returned: Sequence[ReservedLine],
) -> list[StockedLocation]:
    """The network's stock as it will be once the cart's previous hold is given back."""
    available = {item.location.id: dict(item.available) for item in stocked}
    locations = {item.location.id: item.location for item in stocked}
    missing = {line.location_id for line in returned} - locations.keys()
    if missing:
        locations.update(await catalog.locations(missing, session))
    for line in returned:
        if line.location_id not in locations:
            continue
        stock = available.setdefault(line.location_id, {})
        stock[line.sku] = stock.get(line.sku, 0) + line.quantity
    return [StockedLocation(locations[lid], available[lid]) for lid in sorted(locations)]


async def _previous(uow: UnitOfWork, cart_id: str) -> Reservation | None:
    return await uow.session.scalar(select(R).where(R.cart_id == cart_id, R.status == _ACTIVE))


async def _extend(uow: UnitOfWork, row: Reservation, expires_at: datetime, now: datetime) -> None:
    matched = await uow.session.scalar(
        update(R)
        .where(R.id == row.id, R.status == _ACTIVE, R.expires_at > now)
        .values(expires_at=expires_at, updated_at=now)
        .returning(R.id)
    )
    if matched is None:
        raise _Contended


async def _attempt(services: Services, request: ReservationRequest) -> ReservationOutcome:
    now = services.clock()
    async with services.unit_of_work(actor=request.actor) as uow:
        session = uow.session
        products = await products_by_sku(session, (line.sku for line in request.lines))
        method = _validate(request, products)
        if request.channel is not None and not await channel_exists(session, request.channel):
            raise DomainError.single(
                ("channel",), ErrorCode.UNKNOWN_CHANNEL, f"unknown channel {request.channel!r}"
            )
        pickup = (
            await session.get(Location, request.pickup_location_id)
            if request.pickup_location_id is not None
            else None
        )
        if request.pickup_location_id is not None and pickup is None:
            raise DomainError.single(
                ("pickupLocationId",), ErrorCode.UNKNOWN_LOCATION, "unknown pickup location"
            )
        fingerprint = request_fingerprint(
            request.lines, method, request.destination, request.pickup_location_id
        )
        expires_at = now + reservation_ttl(request.ttl_seconds)
        previous = await _previous(uow, request.cart_id)
        if (
            previous is not None
            and previous.request_fingerprint == fingerprint
            and not is_due(ReservationStatus.ACTIVE, previous.expires_at, now)
        ):
            # The same cart asking for the same hold again: extend it, hold nothing twice.
            await _extend(uow, previous, expires_at, now)
            await uow.commit()
            return ReservationOutcome(await _reload(services, previous.id), replayed=True)
        returned: list[ReservedLine] = []
        if previous is not None:
            due = is_due(ReservationStatus.ACTIVE, previous.expires_at, now)
            ending = _EXPIRED if due else ReservationStatus.RELEASED
            if not await end_hold(uow, previous.id, ending, now):
                raise _Contended
            returned = (await lines_of(session, [previous.id]))[previous.id]
        limits = await ruled_and_locked(uow, request.channel, products.values())
        stocked = await _with_returned(
            services.catalog,
            session,
            await stocked_locations(session, products, services.catalog),
            returned,
        )
        await check_sellable(
            uow,
            limits,
            request.channel,
            request.customer_email,
            request.lines,
            products,
            network_available(stocked),
        )
        destination = request.destination or _point(pickup)
        plan = plan_fulfilment(
            method,
            {line.sku: line.quantity for line in request.lines},
            to_candidates(stocked, destination),
            only_location_id=request.pickup_location_id,
            rules=services.sourcing_rules,
        )
        if isinstance(plan, PlanRefusal):
            raise refusal_error(plan)
        row = Reservation(
            cart_id=request.cart_id,
            status=_ACTIVE,
            delivery_method=method.value,
            pickup_location_id=request.pickup_location_id,
            destination_latitude=request.destination.latitude if request.destination else None,
            destination_longitude=request.destination.longitude if request.destination else None,
            request_fingerprint=fingerprint,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        held = [
            ReservedLine(allocation.candidate.location_id, products[sku].id, sku, qty)
            for allocation in plan.allocations
            for sku, qty in allocation.quantities.items()
        ]
        session.add_all(
            ReservationLine(
                reservation_id=row.id,
                location_id=line.location_id,
                product_id=line.product_id,
                quantity=line.quantity,
            )
            for line in held
        )
        await session.flush()
        note = "expired" if previous is not None and due else "replaced"
        steps = [
            *(_give_back(previous.id, returned, note) if previous is not None else []),
            *_holds(row.id, held),
        ]
        if not await _move_in_level_order(uow, steps):
            raise _Contended
        await uow.commit()
        return ReservationOutcome(_view(row, held, now))


def _point(location: Location | None) -> GeoPoint:
    if location is None:  # _validate requires a destination when there is no pickup location
        raise RuntimeError("a validated reservation has neither destination nor pickup location")
    return GeoPoint(location.latitude, location.longitude)


async def _reload(services: Services, reservation_id: int) -> ReservationView:
    view = (await get_reservations(services, [reservation_id]))[0]
    assert view is not None
    return view


async def reserve_inventory(services: Services, request: ReservationRequest) -> ReservationOutcome:
    """Hold stock for a cart and say where it is held.

    Sourced by the same planner as promises and orders. One ACTIVE hold per cart: asking
    again with the same lines, method and destination or pickup location extends the hold
    (``replayed``); anything different replaces it atomically (the old hold is released
    and the new one made in one transaction; if the new one cannot be held, the old stays).
    """
    try:
        return ReservationOutcome(await express_reservations.reserve(services, request))
    except express_reservations.NotExpress:
        pass  # a replaced hold, a selling rule, a due hold or an invalid request
    await expire_due(services, skus=[line.sku for line in request.lines])
    for _ in range(MAX_ATTEMPTS):
        try:
            return await _attempt(services, request)
        except (_Contended, IntegrityError):
            # Another buyer took the planned stock, or another request for this cart won
            # (the partial unique index on active carts): read everything again.
            continue
    raise DomainError.single(
        ("lines",), ErrorCode.INSUFFICIENT_STOCK, "the stock kept moving; try again"
    )


# -- the sweeper ----------------------------------------------------------------------------


async def sweep_due(services: Services, batch_size: int = SWEEP_BATCH) -> int:
    """Expire everything due now, batch by batch; returns how many holds expired.

    Restart-safe because all its state is in the database: a new process sweeps whatever
    fell due while none ran. Several processes may sweep at once: ending a hold is a
    conditional update, so each due hold is expired (and its stock given back) once.
    """
    if batch_size < 1:
        raise ValueError("the sweep batch size must be positive")
    total = 0
    while True:
        expired = await expire_due(services, limit=batch_size)
        total += expired
        if expired < batch_size:
            return total
