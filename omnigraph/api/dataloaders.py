"""Per-request dataloaders, one per relation, named ``<thing>_by_<key>``."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from omnigraph.db.engine import Database
from omnigraph.db.models import (
    Backorder,
    Channel,
    Customer,
    FulfillmentOrder,
    FulfillmentOrderLine,
    InventoryLevel,
    Location,
    Order,
    OrderLine,
    OrderSourcingDecision,
    Package,
    Product,
    Return,
    ReturnLine,
    SafetyStockRule,
    Shipment,
    TimelineEntry,
    Transfer,
)
from omnigraph.services import (
    lifecycle_lookups,
    lookups,
    pick_lists,
    sourcing_trace,
    timeline,
)
from omnigraph.services.catalog_cache import CatalogCache
from omnigraph.services.orders import WrittenRows

K = TypeVar("K")
V = TypeVar("V")


class Loaders:
    """Created with each request's context, so nothing is cached across requests, except
    locations: given the ``catalog``, they come from its cache (at most ``MAX_AGE_SECONDS``
    old, like every location fact sourcing reads). Each loader is made on first use: most
    requests use one or two of them.

    Every batch opens its own short read session: loaders fire concurrently and an
    ``AsyncSession`` must not be shared between concurrent tasks.
    """

    def __init__(self, db: Database, catalog: CatalogCache | None = None) -> None:
        self._db = db
        self._catalog = catalog

    @functools.cached_property
    def order_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(lambda s, ids: lookups.by_ids(s, Order, ids))

    @functools.cached_property
    def product_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(lambda s, ids: lookups.by_ids(s, Product, ids))

    @functools.cached_property
    def location_by_id(self) -> DataLoader[Any, Any]:
        if self._catalog is None:
            return self._loader(lambda s, ids: lookups.by_ids(s, Location, ids))
        return DataLoader(load_fn=functools.partial(_cached_locations, self._catalog))

    @functools.cached_property
    def channel_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(lambda s, ids: lookups.by_ids(s, Channel, ids))

    @functools.cached_property
    def customer_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(lambda s, ids: lookups.by_ids(s, Customer, ids))

    @functools.cached_property
    def fulfillment_order_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(lambda s, ids: lookups.by_ids(s, FulfillmentOrder, ids))

    @functools.cached_property
    def shipment_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(lambda s, ids: lookups.by_ids(s, Shipment, ids))

    @functools.cached_property
    def safety_stock_rule_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(lambda s, ids: lookups.by_ids(s, SafetyStockRule, ids))

    @functools.cached_property
    def order_line_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(lambda s, ids: lookups.by_ids(s, OrderLine, ids))

    @functools.cached_property
    def product_by_sku(self) -> DataLoader[str, Product | None]:
        return self._loader(lookups.products_by_skus)

    @functools.cached_property
    def lines_by_order_id(self) -> DataLoader[int, list[OrderLine]]:
        return self._loader(lookups.lines_by_order)

    @functools.cached_property
    def fulfillment_orders_by_order_id(self) -> DataLoader[int, list[FulfillmentOrder]]:
        return self._loader(lookups.fulfillments_by_order)

    @functools.cached_property
    def fulfillment_lines_by_fulfillment_order_id(
        self,
    ) -> DataLoader[int, list[FulfillmentOrderLine]]:
        return self._loader(lookups.fulfillment_lines_by_fulfillment)

    @functools.cached_property
    def shipments_by_order_id(self) -> DataLoader[int, list[Shipment]]:
        return self._loader(lookups.shipments_by_order)

    @functools.cached_property
    def level_by_location_product(self) -> DataLoader[tuple[int, int], InventoryLevel | None]:
        return self._loader(lookups.levels_by_location_product)

    @functools.cached_property
    def timeline_by_order_id(self) -> DataLoader[int, list[TimelineEntry]]:
        return self._loader(timeline.timelines_by_order)

    @functools.cached_property
    def pick_list_by_fulfillment_order_id(self) -> DataLoader[int, list[pick_lists.PickListLine]]:
        return self._loader(pick_lists.pick_lists)

    @functools.cached_property
    def packages_by_fulfillment_order_id(self) -> DataLoader[int, list[Package]]:
        return self._loader(lifecycle_lookups.packages_by_fulfilment)

    @functools.cached_property
    def backorders_by_order_id(self) -> DataLoader[int, list[Backorder]]:
        return self._loader(lifecycle_lookups.backorders_by_order)

    @functools.cached_property
    def transfer_by_fulfillment_order_id(self) -> DataLoader[int, Transfer | None]:
        return self._loader(lifecycle_lookups.transfers_by_fulfilment)

    @functools.cached_property
    def returns_by_order_id(self) -> DataLoader[int, list[tuple[Return, list[ReturnLine]]]]:
        return self._loader(lifecycle_lookups.returns_by_order)

    @functools.cached_property
    def sourcing_decision_by_order_id(self) -> DataLoader[int, OrderSourcingDecision | None]:
        return self._loader(sourcing_trace.decisions_by_order)

    def location_now(self, location_id: int, build: Callable[[Location], V]) -> V | None:
        """``build`` of the location's row at once when the catalogue holds it, without a
        loader round, built once per cached row (None: load it through ``location_by_id``)."""
        return None if self._catalog is None else self._catalog.location_view(location_id, build)

    def _loader(
        self, batch: Callable[[AsyncSession, Sequence[Any]], Awaitable[Sequence[Any]]]
    ) -> DataLoader[Any, Any]:
        return DataLoader(load_fn=functools.partial(_load, self._db, batch))

    def prime_new_order(self, order: Order, written: WrittenRows) -> None:
        """A new order's rows, as its capture wrote them: the answer needs no second trip."""
        self.order_by_id.prime(order.id, order)
        self.lines_by_order_id.prime(order.id, list(written.lines))
        for line in written.lines:
            self.order_line_by_id.prime(line.id, line)
        self.fulfillment_orders_by_order_id.prime(order.id, list(written.fulfilments))
        by_fulfilment: dict[int, list[FulfillmentOrderLine]] = {
            fulfilment.id: [] for fulfilment in written.fulfilments
        }
        for row in written.fulfilment_lines:
            by_fulfilment[row.fulfillment_order_id].append(row)
        for fulfilment in written.fulfilments:
            self.fulfillment_order_by_id.prime(fulfilment.id, fulfilment)
            self.fulfillment_lines_by_fulfillment_order_id.prime(
                fulfilment.id, by_fulfilment[fulfilment.id]
            )
        for product in written.products:
            self.product_by_id.prime(product.id, product)

    def prime_orders(self, orders: Sequence[Order]) -> None:
        """Rows a list query already fetched need no second trip when resolved as nodes."""
        for order in orders:
            self.order_by_id.prime(order.id, order)

    def clear_all(self) -> None:
        """Forget cached rows; a long-lived subscription calls this before each event."""
        for value in vars(self).values():
            if isinstance(value, DataLoader):
                value.clear_all()


# Loading functions take what they need, not the ``Loaders``: a loader that referred back
# to its ``Loaders`` made a reference cycle of every request's loaders, cached rows and
# futures, left for the cyclic garbage collector instead of freed when the answer is sent.


async def _load(
    db: Database,
    batch: Callable[[AsyncSession, Sequence[Any]], Awaitable[Sequence[Any]]],
    keys: list[Any],
) -> Sequence[Any]:
    async with db.read_session() as session:
        return await batch(session, keys)


async def _cached_locations(catalog: CatalogCache, ids: list[int]) -> list[Location | None]:
    found = await catalog.location_rows(ids)
    return [found.get(location_id) for location_id in ids]
