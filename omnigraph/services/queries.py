"""Read use cases behind the API's list fields: filtered, paginated, in a stable order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Select, select

from omnigraph.db.mapping import capabilities_of, point_of
from omnigraph.db.models import Channel, Customer, Location, Order, Product
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.geo import GeoPoint, bounding_box, distance_km
from omnigraph.domain.vocabulary import Capability, LocationType, OrderStatus

if TYPE_CHECKING:
    from omnigraph.services.core import Services

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; ``keys`` are the sort positions the API turns into cursors."""

    items: list[T]
    keys: list[int]
    has_next_page: bool


def check_page_size(first: int, limit: int) -> None:
    if not 1 <= first <= limit:
        raise DomainError.single(
            ("first",), ErrorCode.INVALID, f"first must be between 1 and {limit}"
        )


@dataclass(frozen=True, slots=True)
class OrderFilter:
    statuses: Sequence[OrderStatus] = ()
    channels: Sequence[str] = ()
    customer_id: int | None = None
    customer_email: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def _filter_orders(query: Select[Any], where: OrderFilter) -> Select[Any]:
    if where.statuses:
        query = query.where(Order.status.in_([s.value for s in where.statuses]))
    if where.channels:
        query = query.where(
            Order.channel_id.in_(select(Channel.id).where(Channel.code.in_(where.channels)))
        )
    if where.customer_id is not None:
        query = query.where(Order.customer_id == where.customer_id)
    if where.customer_email:
        email = where.customer_email.strip().lower()
        query = query.where(
            Order.customer_id.in_(select(Customer.id).where(Customer.email == email))
        )
    if where.created_from is not None:
        query = query.where(Order.created_at >= where.created_from)
    if where.created_to is not None:
        query = query.where(Order.created_at < where.created_to)
    return query


async def list_orders(
    services: Services, where: OrderFilter, first: int, after: int | None
) -> Page[Order]:
    """Newest first; the key is the order id, which grows with creation."""
    check_page_size(first, services.settings.max_page_size)
    query = _filter_orders(select(Order), where)
    if after is not None:
        query = query.where(Order.id < after)
    async with services.db.read_session() as session:
        rows = list(await session.scalars(query.order_by(Order.id.desc()).limit(first + 1)))
    items = rows[:first]
    return Page(items, [row.id for row in items], len(rows) > first)


@dataclass(frozen=True, slots=True)
class ProductFilter:
    skus: Sequence[str] = ()
    category: str | None = None
    search: str | None = None


async def list_products(
    services: Services, where: ProductFilter, first: int, after: int | None
) -> Page[Product]:
    check_page_size(first, services.settings.max_page_size)
    query = select(Product)
    if where.skus:
        query = query.where(Product.sku.in_(list(where.skus)))
    if where.category:
        query = query.where(Product.category == where.category)
    if where.search:
        query = query.where(Product.name.ilike(f"%{where.search.strip()}%"))
    if after is not None:
        query = query.where(Product.id > after)
    async with services.db.read_session() as session:
        rows = list(await session.scalars(query.order_by(Product.id).limit(first + 1)))
    items = rows[:first]
    return Page(items, [row.id for row in items], len(rows) > first)


@dataclass(frozen=True, slots=True)
class LocationFilter:
    types: Sequence[LocationType] = ()
    capabilities: Sequence[Capability] = ()
    near: GeoPoint | None = None
    radius_km: float | None = None


@dataclass(frozen=True, slots=True)
class PlacedLocation:
    location: Location
    distance_km: float | None = field(default=None)


async def list_locations(
    services: Services, where: LocationFilter, first: int, after: int | None
) -> Page[PlacedLocation]:
    """Nearest first when ``near`` is given, else by code; keys are positions in that order.

    The network is at most a few thousand locations, so filtering capabilities and sorting
    by distance happen here after a bounding-box pre-filter in SQL.
    """
    check_page_size(first, services.settings.max_page_size)
    if where.radius_km is not None and (where.near is None or where.radius_km <= 0):
        raise DomainError.single(
            ("radiusKm",), ErrorCode.INVALID, "radiusKm needs near and must be positive"
        )
    query = select(Location)
    if where.types:
        query = query.where(Location.type.in_([t.value for t in where.types]))
    if where.near is not None and where.radius_km is not None:
        min_lat, max_lat, min_lon, max_lon = bounding_box(where.near, where.radius_km)
        query = query.where(
            Location.latitude.between(min_lat, max_lat),
            Location.longitude.between(min_lon, max_lon),
        )
    async with services.db.read_session() as session:
        rows = list(await session.scalars(query.order_by(Location.code)))
    wanted = set(where.capabilities)
    placed = [
        PlacedLocation(row, distance_km(where.near, point_of(row)) if where.near else None)
        for row in rows
        if wanted <= capabilities_of(row)
    ]
    if where.near is not None:
        if where.radius_km is not None:
            placed = [
                p for p in placed if p.distance_km is not None and p.distance_km <= where.radius_km
            ]
        placed.sort(key=lambda p: (p.distance_km, p.location.id))
    start = 0 if after is None else after + 1
    window = placed[start : start + first]
    return Page(window, list(range(start, start + len(window))), start + first < len(placed))


async def list_channels(services: Services) -> list[Channel]:
    async with services.db.read_session() as session:
        return list(await session.scalars(select(Channel).order_by(Channel.code)))
