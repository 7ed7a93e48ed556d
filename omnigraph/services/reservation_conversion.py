"""Converting a checkout hold into an order: exactly the held units, without competing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from omnigraph.db.models import Reservation
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.promise import PlanRefusal
from omnigraph.domain.reservations import (
    ReservationStatus,
    check_active,
    check_convertible,
    held_matches_plan,
)
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services.catalog_cache import CatalogCache
from omnigraph.services.inventory import StockCommit, convert_reserved_stock
from omnigraph.services.network import StockedLocation
from omnigraph.services.reservations import ReservedLine, end_external_id, end_hold, lines_of
from omnigraph.services.unit_of_work import UnitOfWork

R = Reservation


@dataclass(frozen=True, slots=True)
class HeldStock:
    """What order capture needs to source an order from a hold, and to convert it."""

    reservation_id: int
    lines: tuple[ReservedLine, ...]
    stocked: list[StockedLocation]


async def held_for_order(
    uow: UnitOfWork,
    reservation_id: int,
    ordered: Sequence[LineRequest],
    method: DeliveryMethod,
    pickup_location_id: int | None,
    now: datetime,
    catalog: CatalogCache,
) -> HeldStock:
    """The hold an order converts, checked: ACTIVE, not due, the same lines, a fitting place.

    ``stocked`` offers exactly the held units as the only candidates, so the planner sources
    the order to where the stock is held and nowhere else.
    """
    row = await uow.session.get(R, reservation_id)
    if row is None:
        raise DomainError.single(("reservationId",), ErrorCode.NOT_FOUND, "no such reservation")
    check_active(ReservationStatus(row.status), row.expires_at, now)
    lines = (await lines_of(uow.session, [row.id]))[row.id]
    check_convertible([line.held for line in lines], ordered, method, pickup_location_id)
    stock: dict[int, dict[str, int]] = {}
    for line in lines:
        stock.setdefault(line.location_id, {})[line.sku] = line.quantity
    locations = await catalog.locations(stock, uow.session)
    stocked = [StockedLocation(locations[lid], stock[lid]) for lid in sorted(locations)]
    return HeldStock(row.id, tuple(lines), stocked)


async def convert_hold(
    uow: UnitOfWork,
    commits: Sequence[StockCommit],
    order_id: int,
    *,
    held: HeldStock,
    now: datetime,
) -> bool:
    """Mark the hold CONVERTED and move its units from ``reserved`` to ``committed``.

    Refuses (RESERVATION_MISMATCH) a plan that takes anything but the held units, and
    (RESERVATION_EXPIRED / _NOT_ACTIVE) a hold that ended while the order was being made.
    """
    planned = {(c.location_id, c.sku): c.quantity for c in commits}
    if not held_matches_plan([line.held for line in held.lines], planned):
        raise conversion_mismatch("the order could not be sourced exactly as reserved")
    if not await end_hold(
        uow,
        held.reservation_id,
        ReservationStatus.CONVERTED,
        now,
        order_id=order_id,
        unless_due=True,
    ):
        row = await uow.session.get(R, held.reservation_id, populate_existing=True)
        assert row is not None
        check_active(ReservationStatus(row.status), row.expires_at, now)
        # Still ACTIVE and not due, yet the update missed: it can only have become due now.
        check_active(ReservationStatus.ACTIVE, now, now)
    if not await convert_reserved_stock(
        uow, commits, order_id, end_external_id(held.reservation_id)
    ):
        raise RuntimeError(f"reservation {held.reservation_id} no longer holds its stock")
    return True


def conversion_mismatch(detail: str) -> DomainError:
    return DomainError.single(("reservationId",), ErrorCode.RESERVATION_MISMATCH, detail)


def conversion_refusal(refusal: PlanRefusal) -> DomainError:
    """The order's method cannot be served from where the stock is held."""
    return conversion_mismatch(f"the reservation cannot serve this order: {refusal.detail}")
