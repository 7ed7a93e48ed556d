"""Reading the fulfilment network: products by SKU and candidate locations with their stock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import InventoryLevel, Product
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.promise import Candidate
from omnigraph.services.catalog_cache import CatalogCache, LocationFacts, distances_from

if TYPE_CHECKING:
    from omnigraph.services.stock_snapshot import StockSnapshot

L = InventoryLevel
AVAILABLE = L.on_hand - L.committed - L.reserved - L.safety_stock - L.damaged


class ProductRef(Protocol):
    """What sourcing reads of a product: an ORM row or the catalogue cache's facts."""

    @property
    def id(self) -> int: ...

    @property
    def sku(self) -> str: ...

    @property
    def weight_grams(self) -> int: ...


class HeldUnits(Protocol):
    @property
    def sku(self) -> str: ...

    @property
    def quantity(self) -> int: ...


@dataclass(frozen=True, slots=True)
class StockedLocation:
    location: LocationFacts
    available: Mapping[str, int]


async def products_by_sku(session: AsyncSession, skus: Iterable[str]) -> dict[str, Product]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.scalars(select(Product).where(Product.sku.in_(wanted)))
    return {row.sku: row for row in rows}


async def stocked_locations(
    session: AsyncSession,
    products: Mapping[str, ProductRef],
    catalog: CatalogCache,
    snapshot: StockSnapshot | None = None,
) -> list[StockedLocation]:
    """Every location holding sellable stock of at least one of ``products``.

    Quantities are read now, in ``session``, or from ``snapshot`` (promises, and the plan
    of an express order, which its writer checks); the locations' facts come from
    ``catalog``.
    """
    if not products:
        return []
    sku_by_id = {product.id: sku for sku, product in products.items()}
    stock: dict[int, dict[str, int]] = {}
    if snapshot is None:
        rows = await session.execute(
            select(L.location_id, L.product_id, AVAILABLE).where(
                L.product_id.in_(sku_by_id), AVAILABLE > 0
            )
        )
        for location_id, product_id, available in rows:
            stock.setdefault(location_id, {})[sku_by_id[product_id]] = int(available)
    else:
        for product_id, held in (await snapshot.stock(session, sku_by_id)).items():
            sku = sku_by_id[product_id]
            for location_id, available in held.available.items():
                stock.setdefault(location_id, {})[sku] = available
    facts = await catalog.locations(stock, session)
    return [StockedLocation(facts[lid], stock[lid]) for lid in sorted(stock) if lid in facts]


def to_candidates(stocked: Iterable[StockedLocation], destination: GeoPoint) -> list[Candidate]:
    distances = distances_from(destination)
    return [item.location.candidate(destination, item.available, distances) for item in stocked]


def network_available(
    stocked: Iterable[StockedLocation], extra: Iterable[HeldUnits] = ()
) -> dict[str, int]:
    """Sellable units per SKU across ``stocked``, plus ``extra`` units (a buyer's own hold)."""
    totals: dict[str, int] = {}
    for item in stocked:
        for sku, available in item.available.items():
            totals[sku] = totals.get(sku, 0) + available
    for held in extra:
        totals[held.sku] = totals.get(held.sku, 0) + held.quantity
    return totals
