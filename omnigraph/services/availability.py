"""Availability: what can be sold of each SKU, across the network and location by location."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from omnigraph.db.mapping import level_of, point_of
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
            (
                await session.execute(
                    select(InventoryLevel, Location)
                    .join(Location, Location.id == InventoryLevel.location_id)
                    .where(InventoryLevel.product_id.in_(sku_by_id))
                )
            ).all()
            if sku_by_id
            else []
        )
    thresholds = stock_thresholds(services.settings)
    per_sku: dict[str, list[LocationStock]] = {sku: [] for sku in skus}
    for level, location in rows:
        stock = level_of(level)
        distance = distance_km(near, point_of(location)) if near is not None else None
        per_sku[sku_by_id[level.product_id]].append(
            LocationStock(location, stock, distance, thresholds)
        )
    answers = []
    for sku in dict.fromkeys(skus):
        entries = per_sku[sku]
        network = sum(e.stock.available for e in entries)
        selling = [e for e in entries if e.stock.available > 0]
        if near is not None:
            if radius_km is not None:
                selling = [
                    e for e in selling if e.distance_km is not None and e.distance_km <= radius_km
                ]
            selling.sort(key=lambda e: (e.distance_km, e.location.id))
        else:
            selling.sort(key=lambda e: (-e.stock.available, e.location.id))
        nearby = sum(e.stock.available for e in selling)
        product = products.get(sku)
        sellable = limits.sellable(channel, product, network, tier) if product else 0
        answers.append(
            SkuAvailability(
                sku, product, network, nearby, selling[:locations_limit], thresholds, sellable
            )
        )
    return answers
