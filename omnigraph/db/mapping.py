"""Rows to domain values: the only place that knows both shapes."""

from __future__ import annotations

import functools

from omnigraph.db.models import Channel, InventoryLevel, Location, Order, Product
from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.money import Money
from omnigraph.domain.orders import Address, ChannelPolicy
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, LocationType


def schedule_of(location: Location) -> LocationSchedule:
    hours = location.opening_hours or {}
    return _shared_schedule(
        location.timezone,
        tuple((day, tuple(map(tuple, intervals))) for day, intervals in hours.items()),
        tuple(location.holidays or ()),
        location.cutoff_time,
        location.processing_minutes,
    )


@functools.lru_cache(maxsize=4096)
def _shared_schedule(
    timezone: str,
    hours: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...],
    holidays: tuple[str, ...],
    cutoff: str,
    processing_minutes: int,
) -> LocationSchedule:
    """One schedule object per distinct configuration: most stores keep the same hours, and
    the promise engine memoises dates per schedule it has seen."""
    return LocationSchedule.from_config(
        timezone=timezone,
        opening_hours=dict(hours),
        holidays=holidays,
        cutoff=cutoff,
        processing_minutes=processing_minutes,
    )


def point_of(location: Location) -> GeoPoint:
    return GeoPoint(location.latitude, location.longitude)


def capabilities_of(location: Location) -> frozenset[Capability]:
    return frozenset(Capability(c) for c in location.capabilities or ())


def location_type_of(location: Location) -> LocationType:
    return LocationType(location.type)


def level_of(row: InventoryLevel) -> StockLevel:
    return StockLevel(
        on_hand=row.on_hand,
        committed=row.committed,
        reserved=row.reserved,
        safety_stock=row.safety_stock,
        damaged=row.damaged,
        incoming=row.incoming,
    )


def price_of(product: Product) -> Money:
    return Money(product.price_minor, product.currency)


def channel_policy_of(channel: Channel) -> ChannelPolicy:
    return ChannelPolicy(
        code=channel.code,
        allowed_methods=frozenset(DeliveryMethod(m) for m in channel.allowed_methods or ()),
        remorse_minutes=channel.remorse_minutes,
    )


def address_of(order: Order) -> Address | None:
    """The order's shipping address; None for a collection."""
    if order.ship_line1 is None:
        return None
    return Address(
        name=order.ship_name or "",
        line1=order.ship_line1,
        line2=order.ship_line2,
        city=order.ship_city or "",
        region=order.ship_region,
        postal_code=order.ship_postal_code or "",
        country=order.ship_country or "",
        latitude=order.ship_latitude,
        longitude=order.ship_longitude,
        phone=order.ship_phone,
    )


def set_address(order: Order, address: Address | None) -> None:
    """Store ``address`` in the order's ``ship_*`` columns (all None for a collection)."""
    order.ship_name = address.name if address else None
    order.ship_line1 = address.line1 if address else None
    order.ship_line2 = address.line2 if address else None
    order.ship_city = address.city if address else None
    order.ship_region = address.region if address else None
    order.ship_postal_code = address.postal_code if address else None
    order.ship_country = address.country.upper() if address else None
    order.ship_phone = address.phone if address else None
    order.ship_latitude = address.latitude if address else None
    order.ship_longitude = address.longitude if address else None
