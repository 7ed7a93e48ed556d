"""Rows to domain values: the only place that knows both shapes."""

from __future__ import annotations

from omnigraph.db.models import Channel, InventoryLevel, Location, Product
from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.money import Money
from omnigraph.domain.orders import ChannelPolicy
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, LocationType


def schedule_of(location: Location) -> LocationSchedule:
    return LocationSchedule.from_config(
        timezone=location.timezone,
        opening_hours=location.opening_hours or {},
        holidays=location.holidays or (),
        cutoff=location.cutoff_time,
        processing_minutes=location.processing_minutes,
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
