"""A promise's candidate locations for a cart and a destination, kept while still true.

Before any method is decided, a promise gathers every location holding stock of the cart,
measures each one's distance to the destination, adds today's order counts, incoming supply
and pick labour, and checks the lot (``sourcing.sourcing_candidates``): about 2 ms for a
3-line cart stocked at 150 locations, the same work every time a shopper looks at the same
cart again. What it is built from is known exactly, so it is reused only while all of it is
unchanged:

- each SKU's stock entry in the snapshot (the same object until an ``inventory.changed``
  event drops it, or it ages out);
- the snapshot's orders version (waiting units and order counts; any order event moves it);
- the catalogue cache's generation (location facts);
- each counted location's local day (order counts start again at local midnight).

The stored sourcing rules are read again for every promise. Each kept cart also keeps the
decisions made from it in the current minute (``DecisionMemo``), reused only with the same
rules, rate table and plugins; the carriers price every answer afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.promise import Candidate
from omnigraph.domain.sourcing import CheckedCandidates
from omnigraph.services.catalog_cache import LocationFacts
from omnigraph.services.decision_memo import DecisionMemo
from omnigraph.services.network import ProductRef, stocked_locations, to_candidates
from omnigraph.services.sourcing import SourcingInputs, load_inputs, sourcing_candidates

if TYPE_CHECKING:
    from omnigraph.services.core import Services
    from omnigraph.services.stock_snapshot import SkuStock

# Carts x destinations kept; the least recently used goes first.
CARTS_KEPT = 128


@dataclass(frozen=True, slots=True)
class CartSources:
    """Everything a promise decides its methods from, for one cart and one destination."""

    inputs: SourcingInputs
    candidates: tuple[Candidate, ...]
    locations: Mapping[int, LocationFacts]
    sources: CheckedCandidates
    # Sellable units per SKU across the candidates.
    network: Mapping[str, int]
    # The methods decided for these candidates this minute.
    decisions: DecisionMemo = field(default_factory=DecisionMemo)


@dataclass(frozen=True, slots=True)
class _Kept:
    sources: CartSources
    entries: tuple[SkuStock, ...]
    orders_version: int
    catalog_generation: int
    # The zones of the locations whose order counts were read, and the local day in each.
    zones: tuple[tzinfo, ...]
    days: tuple[date, ...]

    def holds(
        self, entries: tuple[SkuStock, ...], orders_version: int, generation: int, now: datetime
    ) -> bool:
        return (
            orders_version == self.orders_version
            and generation == self.catalog_generation
            and len(entries) == len(self.entries)
            and all(new is old for new, old in zip(entries, self.entries, strict=True))
            and _local_days(self.zones, now) == self.days
        )


def _local_days(zones: tuple[tzinfo, ...], now: datetime) -> tuple[date, ...]:
    return tuple(now.astimezone(zone).date() for zone in zones)


class CartSourcesCache:
    """``CartSources`` by (cart, destination, currency), see the module's docstring."""

    def __init__(self, size: int = CARTS_KEPT) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[object, ...], _Kept] = OrderedDict()

    def clear(self) -> None:
        self._kept.clear()

    async def get(
        self,
        session: AsyncSession,
        services: Services,
        products: Mapping[str, ProductRef],
        destination: GeoPoint,
        now: datetime,
    ) -> CartSources:
        """The cart's candidates for ``destination``: kept ones while still true, else
        read from the snapshot and the catalogue now."""
        snapshot = services.stock_snapshot
        currency = services.settings.default_currency
        if snapshot.orders_version() is None:
            # Verifying, or distrusting recent ids: the snapshot keeps nothing, nor does this.
            return await _build(session, services, products, destination, now)
        ids = sorted(product.id for product in products.values())
        held = await snapshot.stock(session, ids)  # catches up with the outbox first
        entries = tuple(held[product_id] for product_id in ids)
        orders_version = snapshot.orders_version()
        generation = services.catalog.generation
        key = (tuple(sorted(products)), destination, currency)
        kept = self._kept.get(key)
        if (
            kept is not None
            and orders_version is not None
            and kept.holds(entries, orders_version, generation, now)
        ):
            self._kept.move_to_end(key)
            rules = await services.stored_rules.get(session, currency)
            if rules is kept.sources.inputs.rules:
                return kept.sources
            return replace(kept.sources, inputs=replace(kept.sources.inputs, rules=rules))
        sources = await _build(session, services, products, destination, now)
        if orders_version is not None and orders_version == snapshot.orders_version():
            counted = [*sources.locations.values(), *sources.inputs.supply_locations]
            zones = tuple(
                {
                    location.timezone: location.schedule.zone
                    for location in counted
                    if location.daily_capacity > 0
                }.values()
            )
            self._kept[key] = _Kept(
                sources,
                entries,
                orders_version,
                generation,
                zones,
                _local_days(zones, now),
            )
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return sources


async def _build(
    session: AsyncSession,
    services: Services,
    products: Mapping[str, ProductRef],
    destination: GeoPoint,
    now: datetime,
) -> CartSources:
    snapshot = services.stock_snapshot
    currency = services.settings.default_currency
    stocked = await stocked_locations(session, products, services.catalog, snapshot)
    inputs = await load_inputs(session, services, stocked, products, now, snapshot)
    candidates = tuple(to_candidates(stocked, destination))
    locations = {item.location.id: item.location for item in stocked}
    return CartSources(
        inputs=inputs,
        candidates=candidates,
        locations=locations,
        sources=sourcing_candidates(candidates, locations, inputs, destination, currency),
        network={sku: sum(c.stock.get(sku, 0) for c in candidates) for sku in products},
    )
