"""Uneven stock on purpose: what a real network looks like on an ordinary morning.

- Distribution centres hold nearly every SKU deeply; a few SKUs are out at the DCs and
  wait on an inbound purchase order.
- Stores carry an assortment (a share of the catalogue, capped so huge catalogues stay
  loadable), in three profiles: thin stores run low and out often, regular ones sometimes,
  flagships rarely. A few SKUs are out at every store and only the DCs can serve them.
- A few SKUs keep safety stock at stores, some units are damaged, and empty or nearly empty
  shelves often have replenishment on the way with an expected date.
- Dark stores carry the fastest movers, deeply.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from omnigraph.demo.catalog import depth_of
from omnigraph.demo.rows import LevelRow, LocationRow, ProductRow
from omnigraph.domain.vocabulary import LocationType

# Mean units of an average SKU: a DC holds pallets, a store a shelf.
DC_MEAN_UNITS = 220
STORE_MEAN_UNITS = 8
# Share of the catalogue a regional (second and later) distribution centre stocks.
REGIONAL_DC_SHARE = 0.85


@dataclass(frozen=True, slots=True)
class StoreProfile:
    name: str
    depth: float
    out_of_stock: float


THIN = StoreProfile("thin", 0.25, 0.20)
REGULAR = StoreProfile("regular", 1.0, 0.06)
FLAGSHIP = StoreProfile("flagship", 1.8, 0.02)
DARK = StoreProfile("dark", 1.3, 0.03)


@dataclass(frozen=True, slots=True)
class SkuTraits:
    """Per-SKU facts that hold across the network, so stock is uneven the same way everywhere."""

    popularity: list[float]
    depth: list[float]
    out_at_stores: frozenset[int]
    short_at_dcs: frozenset[int]
    store_safety_stock: frozenset[int]


def _traits(rng: random.Random, products: Sequence[ProductRow]) -> SkuTraits:
    count = len(products)
    # Log-normal: most SKUs sell about average, a long tail sells several times more.
    popularity = [min(4.0, max(0.25, rng.lognormvariate(0.0, 0.5))) for _ in products]
    out_count, short_count = max(2, count // 40), max(1, count // 50)
    safety_count = max(3, count // 20)
    special = rng.sample(range(count), k=min(count, out_count + short_count + safety_count))
    return SkuTraits(
        popularity=popularity,
        depth=[depth_of(product.category) for product in products],
        out_at_stores=frozenset(special[:out_count]),
        short_at_dcs=frozenset(special[out_count : out_count + short_count]),
        store_safety_stock=frozenset(special[out_count + short_count :]),
    )


def _between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint`` without its argument checks: this runs about a million times."""
    return low + int(rng.random() * (high - low + 1))


class _Levels:
    def __init__(self, rng: random.Random, counted_at: datetime) -> None:
        self.rng = rng
        # Deliveries are booked for midday (18:00 UTC) some days after the overnight count.
        self.arrivals = [counted_at + timedelta(days=days, hours=12) for days in range(32)]
        self.rows: list[LevelRow] = []

    def expected(self, min_days: int, max_days: int) -> datetime:
        return self.arrivals[_between(self.rng, min_days, max_days)]

    def add(
        self,
        location_id: int,
        product_id: int,
        on_hand: int,
        safety_stock: int,
        damaged: int,
        incoming: int,
        expected: datetime | None,
    ) -> None:
        self.rows.append(
            LevelRow(
                len(self.rows) + 1,
                location_id,
                product_id,
                on_hand,
                safety_stock,
                damaged,
                incoming,
                expected,
            )
        )


def _distribution_centre(
    levels: _Levels,
    location: LocationRow,
    products: Sequence[ProductRow],
    traits: SkuTraits,
    national: bool,
) -> None:
    rng = levels.rng
    for index, product in enumerate(products):
        if not national and rng.random() > REGIONAL_DC_SHARE:
            continue
        mean = DC_MEAN_UNITS * traits.popularity[index] * traits.depth[index]
        if index in traits.short_at_dcs:
            incoming = max(24, round(mean * rng.uniform(0.5, 1.5)))
            levels.add(location.id, product.id, 0, 0, 0, incoming, levels.expected(3, 21))
            continue
        on_hand = max(12, round(rng.gauss(mean, mean * 0.3)))
        damaged = _between(rng, 1, 4) if rng.random() < 0.03 else 0
        incoming = round(mean * rng.uniform(0.3, 1.0)) if rng.random() < 0.1 else 0
        levels.add(
            location.id,
            product.id,
            on_hand,
            0,
            damaged,
            incoming,
            levels.expected(3, 21) if incoming else None,
        )


def _shelf(
    levels: _Levels,
    location: LocationRow,
    product_ids: Sequence[int],
    indexes: Sequence[int],
    traits: SkuTraits,
    profile: StoreProfile,
) -> None:
    # The hot loop of big networks: names bound locally, no helper calls on the common path.
    rng, random_ = levels.rng, levels.rng.random
    out_at_stores, safety_skus = traits.out_at_stores, traits.store_safety_stock
    scale = STORE_MEAN_UNITS * profile.depth
    popularity, depth = traits.popularity, traits.depth
    for index in indexes:
        if index in out_at_stores or random_() < profile.out_of_stock:
            on_hand = 0
        else:
            mean = scale * popularity[index] * depth[index]
            on_hand = max(0, round(rng.gauss(mean, mean * 0.6)))
        safety = _between(rng, 1, 3) if on_hand > 0 and index in safety_skus else 0
        damaged = _between(rng, 1, 2) if on_hand >= 2 and random_() < 0.03 else 0
        incoming = 0
        if (on_hand == 0 and random_() < 0.5) or (0 < on_hand <= 2 and random_() < 0.3):
            incoming = _between(rng, 4, 24)
        levels.add(
            location.id,
            product_ids[index],
            on_hand,
            safety,
            damaged,
            incoming,
            levels.expected(1, 10) if incoming else None,
        )


def _profiles(rng: random.Random, count: int) -> list[StoreProfile]:
    """Fixed shares, shuffled: a network of any size has thin and flagship stores."""
    if count == 0:
        return []
    thin = max(1, round(count * 0.2))
    flagship = max(1, round(count * 0.15)) if count > 2 else 0
    profiles = [THIN] * thin + [FLAGSHIP] * flagship
    profiles += [REGULAR] * (count - len(profiles))
    rng.shuffle(profiles)
    return profiles[:count]


def generate_inventory(
    rng: random.Random,
    locations: Sequence[LocationRow],
    products: Sequence[ProductRow],
    counted_at: datetime,
    assortment_size: int,
) -> list[LevelRow]:
    """Inventory levels with ids from 1, ordered by location then product.

    ``assortment_size`` is how many SKUs each store and dark store carries.
    """
    traits = _traits(rng, products)
    levels = _Levels(rng, counted_at)
    product_ids = [product.id for product in products]
    stores = [loc for loc in locations if loc.type == LocationType.STORE.value]
    profiles = dict(zip((s.id for s in stores), _profiles(rng, len(stores)), strict=True))
    by_popularity = sorted(range(len(products)), key=lambda i: (-traits.popularity[i], i))
    fastest = by_popularity[:assortment_size]
    national_seen = False
    for location in locations:
        if location.type == LocationType.DC.value:
            _distribution_centre(levels, location, products, traits, national=not national_seen)
            national_seen = True
        elif location.type == LocationType.STORE.value:
            # SKUs out at every store are still listed there: an empty shelf, not a delisting.
            carried = set(rng.sample(range(len(products)), assortment_size)) | traits.out_at_stores
            _shelf(levels, location, product_ids, sorted(carried), traits, profiles[location.id])
        else:
            _shelf(levels, location, product_ids, sorted(fastest), traits, DARK)
    return levels.rows
