"""The demo network generator: a spec in, rows for every table out. Pure and deterministic.

The same spec always gives the same rows: every random choice comes from ``random.Random``
streams seeded from ``spec.seed``, one stream per part, so asking for more stores does not
reshuffle the catalogue. Dates hang off ``spec.as_of``, never off the wall clock.

Size: levels = DCs x SKUs (regional DCs ~85% of that) + (stores + dark stores) x
``assortment_size``, and the loader writes about one ledger row per level. The default
spec gives ~2,600 levels; 500 locations (4 DCs, 476 stores, 20 dark stores) x 10,000 SKUs,
with stores capped at 1,500 SKUs each, gives ~0.88 million levels and ~0.86 million
ledger rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from omnigraph.demo.catalog import generate_products
from omnigraph.demo.locations import LocationCounts, generate_locations
from omnigraph.demo.rows import ChannelRow, LevelRow, LocationRow, ProductRow
from omnigraph.demo.stock import generate_inventory
from omnigraph.domain.vocabulary import ChannelCode, DeliveryMethod, LocationType

# Stock is counted overnight, before the first store on the east coast opens.
COUNT_TIME_UTC = time(6, 0)


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """What to generate.

    ``store_assortment`` is the share of the catalogue a store or dark store carries, and
    ``max_store_skus`` caps it so a 10,000-SKU catalogue over hundreds of stores stays a few
    million rows. ``as_of`` is the day the stock was counted: holidays cover its year and
    the next, and incoming supply is expected after it.
    """

    distribution_centres: int = 1
    stores: int = 20
    dark_stores: int = 0
    skus: int = 200
    seed: int = 7
    store_assortment: float = 0.6
    max_store_skus: int = 1_500
    as_of: date = field(default_factory=_today)
    currency: str = "USD"

    def __post_init__(self) -> None:
        if min(self.distribution_centres, self.stores, self.dark_stores) < 0:
            raise ValueError("location counts cannot be negative")
        if self.distribution_centres + self.stores + self.dark_stores == 0:
            raise ValueError("a network needs at least one location")
        if self.skus < 1:
            raise ValueError("a network needs at least one SKU")
        if not 0.0 < self.store_assortment <= 1.0:
            raise ValueError("store_assortment is a share of the catalogue, in (0, 1]")
        if self.max_store_skus < 1:
            raise ValueError("max_store_skus must be at least 1")

    @property
    def assortment_size(self) -> int:
        return min(self.skus, self.max_store_skus, max(1, round(self.skus * self.store_assortment)))

    @property
    def counted_at(self) -> datetime:
        return datetime.combine(self.as_of, COUNT_TIME_UTC, UTC)


@dataclass(frozen=True, slots=True)
class DemoNetwork:
    spec: NetworkSpec
    channels: tuple[ChannelRow, ...]
    locations: tuple[LocationRow, ...]
    products: tuple[ProductRow, ...]
    levels: tuple[LevelRow, ...]

    def locations_of(self, kind: LocationType) -> list[LocationRow]:
        return [location for location in self.locations if location.type == kind.value]


_EVERY_METHOD = tuple(method.value for method in DeliveryMethod)
_PHONE_METHODS = tuple(
    method.value
    for method in (DeliveryMethod.SHIP_STANDARD, DeliveryMethod.SHIP_EXPRESS, DeliveryMethod.PICKUP)
)


def demo_channels() -> tuple[ChannelRow, ...]:
    """Web and app sell every method with a 30-minute change-of-mind window; a till sells
    for pickup and confirms at once; the call centre gives agents an hour to fix mistakes."""
    return (
        ChannelRow(1, ChannelCode.WEB.value, "Web store", 30, _EVERY_METHOD),
        ChannelRow(2, ChannelCode.APP.value, "Mobile app", 30, _EVERY_METHOD),
        ChannelRow(3, ChannelCode.POS.value, "Point of sale", 0, (DeliveryMethod.PICKUP.value,)),
        ChannelRow(4, ChannelCode.CALL_CENTER.value, "Call centre", 60, _PHONE_METHODS),
    )


def _stream(spec: NetworkSpec, part: str) -> random.Random:
    # String seeds hash with SHA-512, so the streams are the same in every process.
    return random.Random(f"omnigraph-demo/{spec.seed}/{part}")


def generate_network(spec: NetworkSpec) -> DemoNetwork:
    """Channels, locations, products and inventory levels for ``spec``; no I/O."""
    locations = generate_locations(
        _stream(spec, "locations"),
        LocationCounts(spec.distribution_centres, spec.stores, spec.dark_stores),
        holiday_years=(spec.as_of.year, spec.as_of.year + 1),
        currency=spec.currency,
    )
    products = generate_products(_stream(spec, "products"), spec.skus, spec.currency)
    levels = generate_inventory(
        _stream(spec, "inventory"), locations, products, spec.counted_at, spec.assortment_size
    )
    return DemoNetwork(spec, demo_channels(), tuple(locations), tuple(products), tuple(levels))
