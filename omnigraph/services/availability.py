"""Availability: what can be sold of each SKU, across the network and location by location."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import Channel, InventoryLevel, Location
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.geo import GeoPoint, distance_km
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.promise import StockMessage, StockThresholds, stock_message
from omnigraph.domain.stock_signal import StockSignal, stock_signal
from omnigraph.services.network import products_by_sku
from omnigraph.services.stock_rules import customer_tier, selling_rules

if TYPE_CHECKING:
    from omnigraph.db.models import Product
    from omnigraph.services.core import Services
    from omnigraph.settings import Settings

MAX_SKUS = 100
DEFAULT_THRESHOLDS = StockThresholds()


def stock_thresholds(settings: Settings) -> StockThresholds:
    """The operator's stock messaging thresholds (``OMNIGRAPH_STOCK_*``)."""
    return StockThresholds(only_few_left=settings.stock_only_few_left, low_stock=settings.stock_low)


@dataclass(frozen=True, slots=True)
class LocationStock:
    location: Location
    stock: StockLevel
    distance_km: float | None
    thresholds: StockThresholds = DEFAULT_THRESHOLDS

    @property
    def signal(self) -> StockSignal:
        return stock_signal(self.stock.available, self.thresholds)


@dataclass(frozen=True, slots=True)
class SkuAvailability:
    sku: str
    product: Product | None
    network_available: int
    nearby_available: int
    locations: list[LocationStock]
    thresholds: StockThresholds = DEFAULT_THRESHOLDS
    sellable: int = 0

    @property
    def message(self) -> StockMessage:
        return stock_message(self.sellable, self.thresholds)

    @property
    def signal(self) -> StockSignal:
        return stock_signal(self.sellable, self.thresholds)


async def availability(
    services: Services,
    skus: Sequence[str],
    *,
    channel: str | None = None,
    customer_email: str | None = None,
    near: GeoPoint | None = None,
    radius_km: float | None = None,
    locations_limit: int = 20,
) -> list[SkuAvailability]:
    """Per SKU: sellable units in the whole network, and the locations holding them.

    With ``near``, locations are sorted nearest first and ``radius_km`` limits the list
    (and ``nearby_available``); without it, the locations with most stock come first.
    Unknown SKUs are answered with zero and no product, so a cart with a withdrawn item
    still renders. ``sellable`` is what the channel may sell to the customer: the network's
    available stock less the units protected for other customer tiers, within the channel's
    exposure share and cap; order capture enforces the same number.
    """
    problems: list[Problem] = []
    if not skus or len(skus) > MAX_SKUS:
        problems.append(
            Problem(("skus",), ErrorCode.INVALID, f"ask for between 1 and {MAX_SKUS} SKUs")
        )
    if radius_km is not None and (near is None or radius_km <= 0):
        problems.append(
            Problem(("radiusKm",), ErrorCode.INVALID, "radiusKm needs near and must be positive")
        )
    if not 0 <= locations_limit <= 200:
        problems.append(
            Problem(
                ("locationsLimit",), ErrorCode.INVALID, "locationsLimit must be between 0 and 200"
            )
        )
    async with services.db.read_session() as session:
        if (
            channel is not None
            and await session.scalar(select(Channel.id).where(Channel.code == channel)) is None
        ):
            problems.append(
                Problem(("channel",), ErrorCode.UNKNOWN_CHANNEL, f"unknown channel {channel!r}")
            )
        if problems:
            raise DomainError(problems)
        products = await products_by_sku(session, skus)
        limits = await selling_rules(session, channel, products.values())
        tier = await customer_tier(session, customer_email)
        sku_by_id = {p.id: sku for sku, p in products.items()}
        rows = (
            (await session.execute(_STOCKED.where(L.product_id.in_(sku_by_id)))).all()
            if sku_by_id
            else []
        )
        thresholds = stock_thresholds(services.settings)
        rows_of: dict[str, list[Any]] = {sku: [] for sku in skus}
        for row in rows:
            rows_of[sku_by_id[row.product_id]].append(row)
        ranked = {sku: _rank(rows_of[sku], near, radius_km) for sku in dict.fromkeys(skus)}
        listed_ids = {
            entry.location_id
            for entries in ranked.values()
            for entry in entries.listed[:locations_limit]
        }
        locations = await _locations(session, listed_ids)
    answers = []
    for sku, entries in ranked.items():
        product = products.get(sku)
        sellable = limits.sellable(channel, product, entries.network, tier) if product else 0
        listed = [
            LocationStock(locations[e.location_id], e.stock, e.distance_km, thresholds)
            for e in entries.listed[:locations_limit]
        ]
        answers.append(
            SkuAvailability(
                sku, product, entries.network, entries.nearby, listed, thresholds, sellable
            )
        )
    return answers


L = InventoryLevel
# Only what ranking needs: full location rows (and their JSON columns) are loaded for the
# few locations listed, not for every level of a SKU across a network of hundreds.
_STOCKED = (
    select(
        L.location_id,
        L.product_id,
        L.on_hand,
        L.committed,
        L.reserved,
        L.safety_stock,
        L.damaged,
        L.incoming,
        Location.latitude,
        Location.longitude,
    )
    .join(Location, Location.id == L.location_id)
    .where(L.on_hand - L.committed - L.reserved - L.safety_stock - L.damaged > 0)
)


@dataclass(frozen=True, slots=True)
class _Entry:
    location_id: int
    stock: StockLevel
    distance_km: float | None


@dataclass(frozen=True, slots=True)
class _Ranked:
    network: int
    nearby: int
    listed: list[_Entry]


def _rank(rows: Sequence[Any], near: GeoPoint | None, radius_km: float | None) -> _Ranked:
    """One SKU's network total and its selling locations, nearest (or fullest) first."""
    entries = []
    for row in rows:
        stock = StockLevel(
            row.on_hand, row.committed, row.reserved, row.safety_stock, row.damaged, row.incoming
        )
        distance = distance_km(near, GeoPoint(row.latitude, row.longitude)) if near else None
        entries.append(_Entry(row.location_id, stock, distance))
    network = sum(e.stock.available for e in entries)
    if near is not None:
        if radius_km is not None:
            entries = [
                e for e in entries if e.distance_km is not None and e.distance_km <= radius_km
            ]
        entries.sort(key=lambda e: (e.distance_km, e.location_id))
    else:
        entries.sort(key=lambda e: (-e.stock.available, e.location_id))
    return _Ranked(network, sum(e.stock.available for e in entries), entries)


async def _locations(session: AsyncSession, ids: set[int]) -> dict[int, Location]:
    if not ids:
        return {}
    return {
        row.id: row for row in await session.scalars(select(Location).where(Location.id.in_(ids)))
    }
