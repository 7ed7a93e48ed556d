"""The stock a delivery promise reads, held in process and kept current by the outbox.

A promise reads, for each SKU of the cart, every location's sellable units and incoming
supply, the incoming units waiting orders already claimed, and how many orders each
location took today. Read per request that was six queries and most of a promise's time;
here it is kept between requests.

Every change of a level writes an ``inventory.changed`` event in its own transaction, so the
snapshot stays current by reading the events committed since it last looked: at once when
this process announced a commit, and every ``event_poll_seconds`` for other processes'
commits. An ``inventory.changed`` drops that SKU's stock; any other event (orders,
fulfilment orders, backorders) drops the waiting units and today's order counts, which
change with orders. Entries are dropped, never patched: the next promise reloads them.

Only promises read from here. Order capture, holds and every write path read stock in the
transaction that changes it, so a promise may be a moment behind a concurrent sale, an order
never.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import InventoryLevel, OutboxEvent
from omnigraph.events.broker import EventBroker
from omnigraph.events.gaps import GAP_GRACE_SECONDS, IdGaps
from omnigraph.events.outbox import latest_event_id
from omnigraph.events.types import Topic
from omnigraph.services.backorders import waiting_units
from omnigraph.services.catalog_cache import LocationFacts
from omnigraph.services.sourcing import local_midnights
from omnigraph.services.sourcing import orders_today as count_orders_today

L = InventoryLevel
_AVAILABLE = L.on_hand - L.committed - L.reserved - L.safety_stock - L.damaged
# More new events than this since the last look: drop everything rather than read them all.
CATCH_UP_LIMIT = 500
# SKUs kept; the oldest loaded is dropped first. A 90-location SKU costs a few kilobytes.
MAX_SKUS = 20_000
# A safety net for changes that wrote no event (an operator's SQL): nothing is older.
MAX_AGE_SECONDS = 60.0
# Topics that change neither waiting units nor today's order counts.
_STOCK_ONLY = frozenset({Topic.INVENTORY_CHANGED.value, Topic.INVENTORY_COUNTED.value})


class SnapshotDrift(RuntimeError):
    """Verification found the snapshot disagreeing with the database (a change without an
    event): raised only with ``stock_snapshot_verify`` on."""


@dataclass(frozen=True, slots=True)
class IncomingRow:
    location_id: int
    units: int
    expected_at: datetime


@dataclass(frozen=True, slots=True)
class SkuStock:
    """One product's stock across the network, as the database held it when loaded."""

    # Sellable units per location, only where there are some.
    available: Mapping[int, int]
    # Incoming supply with an expected date.
    incoming: tuple[IncomingRow, ...]
    loaded_at: float


class StockSnapshot:
    def __init__(
        self,
        broker: EventBroker,
        *,
        is_sqlite: bool,
        poll_seconds: float,
        verify: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._broker = broker
        self._is_sqlite = is_sqlite
        self._poll_seconds = poll_seconds
        self._verify = verify
        self._clock = clock
        self._stock: dict[int, SkuStock] = {}
        # Incoming units claimed by waiting orders, by product, then (location, product).
        self._waiting: dict[int, dict[tuple[int, int], int]] = {}
        # Fulfilment orders taken today: location -> (the UTC instant its day began, count).
        self._counted: dict[int, tuple[datetime, int]] = {}
        self._position: int | None = None
        self._next_poll = float("-inf")
        self._gaps = IdGaps(clock=clock)
        self._gap_pending = False
        self._distrust_until = float("-inf")
        # Drops are stamped with a counter, so a load that raced a drop is not kept.
        self._epoch = 0
        self._dropped: dict[int, int] = {}
        self._cleared_at = 0
        self._orders_dropped = 0

    # -- reading -------------------------------------------------------------------------

    async def stock(self, session: AsyncSession, product_ids: Iterable[int]) -> dict[int, SkuStock]:
        """Each product's stock, from the snapshot or loaded now in ``session``."""
        await self._catch_up(session)
        wanted = sorted(set(product_ids))
        now = self._clock()
        found: dict[int, SkuStock] = {}
        for product_id in wanted:
            entry = self._stock.get(product_id)
            if entry is not None and now - entry.loaded_at <= MAX_AGE_SECONDS:
                found[product_id] = entry
        missing = [pid for pid in wanted if pid not in found]
        if self._verify and found:
            await self._check(session, found)
        if missing:
            started = self._epoch
            loaded = await _load_stock(session, missing, now)
            keep = self._keeping()
            for product_id in missing:
                entry = loaded.get(product_id) or SkuStock({}, (), now)
                found[product_id] = entry
                if keep and self._undropped_since(product_id, started):
                    self._store(product_id, entry)
        return found

    async def waiting(
        self, session: AsyncSession, product_ids: Iterable[int]
    ) -> dict[tuple[int, int], int]:
        """Incoming units already promised to waiting orders, by (location, product)."""
        await self._catch_up(session)
        wanted = sorted(set(product_ids))
        missing = [pid for pid in wanted if pid not in self._waiting]
        result: dict[tuple[int, int], int] = {}
        if missing:
            started = self._orders_dropped
            loaded = await waiting_units(session, missing)
            by_product: dict[int, dict[tuple[int, int], int]] = {pid: {} for pid in missing}
            for key, units in loaded.items():
                by_product[key[1]][key] = units
            keep = self._keeping() and self._orders_dropped == started
            for product_id, units_by_key in by_product.items():
                result.update(units_by_key)
                if keep:
                    self._waiting[product_id] = units_by_key
        for product_id in wanted:
            if product_id not in missing:
                result.update(self._waiting[product_id])
        if self._verify:
            fresh = await waiting_units(session, wanted)
            if fresh != result:
                raise SnapshotDrift(f"waiting units: snapshot {result}, database {fresh}")
        return result

    async def orders_today(
        self, session: AsyncSession, locations: Sequence[LocationFacts], now: datetime
    ) -> dict[int, int]:
        """Fulfilment orders each location with a daily capacity took since its local
        midnight (``sourcing.orders_today``, for the locations not held)."""
        await self._catch_up(session)
        limited = [location for location in locations if location.daily_capacity > 0]
        starts = _day_starts(limited, now)
        counts: dict[int, int] = {}
        missing: list[LocationFacts] = []
        for location in limited:
            held = self._counted.get(location.id)
            if held is not None and held[0] == starts[location.id]:
                counts[location.id] = held[1]
            else:
                missing.append(location)
        if missing:
            started = self._orders_dropped
            loaded = await count_orders_today(session, missing, now)
            keep = self._keeping() and self._orders_dropped == started
            for location in missing:
                counts[location.id] = loaded.get(location.id, 0)
                if keep:
                    self._counted[location.id] = (starts[location.id], counts[location.id])
        if self._verify and limited:
            fresh = await count_orders_today(session, limited, now)
            if {k: v for k, v in fresh.items() if v} != {k: v for k, v in counts.items() if v}:
                raise SnapshotDrift(f"orders today: snapshot {counts}, database {fresh}")
        return {lid: n for lid, n in counts.items() if n}

    # -- staying current -----------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything (a bulk load or a restore of the database)."""
        self._epoch += 1
        self._stock.clear()
        self._dropped.clear()
        self._cleared_at = self._epoch
        self._drop_orders()

    def _drop(self, product_id: int) -> None:
        self._epoch += 1
        self._dropped[product_id] = self._epoch
        self._stock.pop(product_id, None)

    def _drop_orders(self) -> None:
        self._orders_dropped += 1
        self._waiting.clear()
        self._counted.clear()

    def _undropped_since(self, product_id: int, epoch: int) -> bool:
        return self._cleared_at <= epoch and self._dropped.get(product_id, 0) <= epoch

    def _keeping(self) -> bool:
        return self._clock() >= self._distrust_until

    def _store(self, product_id: int, entry: SkuStock) -> None:
        if len(self._stock) >= MAX_SKUS:
            # Dicts keep insertion order: the first key is the oldest load.
            del self._stock[next(iter(self._stock))]
        self._stock[product_id] = entry

    async def _catch_up(self, session: AsyncSession) -> None:
        """Drop what the events committed since the last look changed."""
        now = self._clock()
        if self._position is None:
            self._position = await latest_event_id(session)
            self._next_poll = now + self._poll_seconds
            return
        announced = self._broker.latest_id > self._position
        if not (announced or self._gap_pending or now >= self._next_poll):
            return
        self._next_poll = now + self._poll_seconds
        rows = (
            await session.execute(
                select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.payload)
                .where(OutboxEvent.id > self._position)
                .order_by(OutboxEvent.id)
                .limit(CATCH_UP_LIMIT)
            )
        ).all()
        if not rows:
            self._gap_pending = False
            return
        if len(rows) == CATCH_UP_LIMIT:
            # Far behind (a bulk import, or no promise for a long time): start afresh.
            self.clear()
            self._position = await latest_event_id(session)
            if not self._is_sqlite:
                # An earlier id may still commit (see ``events.gaps``): keep nothing for a while.
                self._distrust_until = now + GAP_GRACE_SECONDS
            return
        orders_changed = False
        for _, topic, payload in rows:
            if topic == Topic.INVENTORY_CHANGED.value:
                product_id = payload.get("productId") if isinstance(payload, dict) else None
                if isinstance(product_id, int):
                    self._drop(product_id)
                else:
                    self.clear()
            if topic not in _STOCK_ONLY:
                orders_changed = True
        if orders_changed:
            self._drop_orders()
        last = rows[-1][0]
        if self._is_sqlite:
            # One writer commits at a time: ids become visible in order.
            self._position = last
            return
        safe = self._gaps.safe_position(self._position, [row[0] for row in rows])
        self._gap_pending = safe < last
        self._position = safe

    async def _check(self, session: AsyncSession, held: Mapping[int, SkuStock]) -> None:
        fresh = await _load_stock(session, list(held), self._clock())
        for product_id, entry in held.items():
            now = fresh.get(product_id) or SkuStock({}, (), 0.0)
            if (dict(now.available), now.incoming) != (dict(entry.available), entry.incoming):
                # A commit may have landed since the catch-up: look again before blaming.
                await self._catch_up_now(session)
                if product_id in self._stock:
                    raise SnapshotDrift(f"product {product_id}: snapshot {entry}, database {now}")

    async def _catch_up_now(self, session: AsyncSession) -> None:
        self._next_poll = float("-inf")
        await self._catch_up(session)


async def _load_stock(
    session: AsyncSession, product_ids: Sequence[int], now: float
) -> dict[int, SkuStock]:
    rows = await session.execute(
        select(L.product_id, L.location_id, _AVAILABLE, L.incoming, L.incoming_expected_at)
        .where(
            L.product_id.in_(product_ids),
            or_(
                _AVAILABLE > 0,
                and_(L.incoming > 0, L.incoming_expected_at.is_not(None)),
            ),
        )
        .order_by(L.product_id, L.location_id)
    )
    available: dict[int, dict[int, int]] = {}
    incoming: dict[int, list[IncomingRow]] = {}
    for product_id, location_id, units, incoming_units, expected_at in rows:
        if units > 0:
            available.setdefault(product_id, {})[location_id] = int(units)
        if incoming_units > 0 and expected_at is not None:
            incoming.setdefault(product_id, []).append(
                IncomingRow(location_id, int(incoming_units), expected_at)
            )
    return {
        product_id: SkuStock(
            available.get(product_id, {}), tuple(incoming.get(product_id, ())), now
        )
        for product_id in set(available) | set(incoming)
    }


def _day_starts(locations: Sequence[LocationFacts], now: datetime) -> dict[int, datetime]:
    return {
        location_id: start
        for start, ids in local_midnights(locations, now).items()
        for location_id in ids
    }
