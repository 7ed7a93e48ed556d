"""The stock a delivery promise reads, held in process and kept current by the outbox.

A promise reads, for each SKU of the cart, every location's sellable units and incoming
supply, the incoming units waiting orders already claimed, and how many orders each
location took today. Read per request that was six queries and most of a promise's time;
here it is kept between requests.

Every change of a level writes an ``inventory.changed`` event in its own transaction, so the
snapshot stays current by reading the events committed since it last looked: at once when
this process announced a commit, and every ``event_poll_seconds`` for other processes'
commits. What an event changed is dropped and reloaded by the next promise, except what the
events of a busy checkout tell exactly, which is patched in place so a hot SKU stays held:

- an ``inventory.changed`` of a hold, a release or an order's commit (none of which moves
  incoming supply) sets that location's sellable units to the event's ``available``; any
  other drops that SKU's stock;
- a ``fulfillment.created`` adds one to its location's orders today, and an
  ``order.created`` without backorders changes nothing of orders; any other event (status
  changes, backorders) drops the waiting units and today's order counts.

Promises read from here, and so does the express order capture on SQLite, which only plans
from it: its writer checks every planned level with a conditional UPDATE (``express_orders``).
Holds and every other write path read stock in the transaction that changes it, so a promise
may be a moment behind a concurrent sale, and no order can oversell.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import InventoryLevel, OutboxEvent
from omnigraph.domain.vocabulary import MovementReason
from omnigraph.events.broker import EventBroker
from omnigraph.events.gaps import GAP_GRACE_SECONDS, IdGaps
from omnigraph.events.outbox import latest_event_id
from omnigraph.events.types import Topic
from omnigraph.services.backorders import waiting_units
from omnigraph.services.cart_sources import CartSourcesCache
from omnigraph.services.catalog_cache import LocationFacts
from omnigraph.services.sourcing import local_midnights, orders_today_query
from omnigraph.services.sourcing import orders_today as count_orders_today

L = InventoryLevel
_AVAILABLE = L.on_hand - L.committed - L.reserved - L.safety_stock - L.damaged
# More new events than this since the last look: drop everything rather than read them all.
CATCH_UP_LIMIT = 500
# SKUs kept; the oldest loaded is dropped first. A 90-location SKU costs a few kilobytes.
MAX_SKUS = 20_000
# Verification compares again after catching up this many times before it blames drift:
# under a burst of checkouts each comparison may race another commit.
VERIFY_ATTEMPTS = 20
# A safety net for changes that wrote no event (an operator's SQL): nothing is older.
MAX_AGE_SECONDS = 60.0
# Topics that change neither waiting units nor today's order counts.
_STOCK_ONLY = frozenset({Topic.INVENTORY_CHANGED.value, Topic.INVENTORY_COUNTED.value})
# Ledger reasons of changes that move sellable units and never incoming supply: their
# events are patched into the snapshot instead of dropping the SKU.
_PATCHED_REASONS = frozenset(
    {MovementReason.COMMIT.value, MovementReason.RELEASE.value, MovementReason.RESERVATION.value}
)


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
        # Fulfilment orders taken today: location -> (the UTC instant its day began, count,
        # the last outbox id the count includes).
        self._counted: dict[int, tuple[datetime, int, int]] = {}
        # The last ``fulfillment.created`` read per location: a count read before it
        # committed, stored after it was read, would miss it for good.
        self._fulfilments_read: dict[int, int] = {}
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
        # Moves whenever waiting units or any order count changes (dropped or patched).
        self._orders_version = 0
        # Stock loads in progress: product -> (the epoch the load began at, its result).
        self._loading: dict[int, tuple[int, asyncio.Future[dict[int, SkuStock]]]] = {}
        # Promises' candidates built from what is held here, reused while it is unchanged.
        self.cart_sources = CartSourcesCache()

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
            # A product another request is loading, with no drop since it began, is taken
            # from that load: under load, a burst of promises that all found a SKU missing
            # would otherwise each read it (and each wait for the database).
            joined = {
                pid: self._loading[pid]
                for pid in missing
                if pid in self._loading and self._undropped_since(pid, self._loading[pid][0])
            }
            own = [pid for pid in missing if pid not in joined]
            if own:
                found.update(await self._load_shared(session, own, now))
            for product_id, (_, load) in joined.items():
                try:
                    found[product_id] = (await asyncio.shield(load))[product_id]
                except Exception:  # that load failed: read it here
                    found.update(await self._load_shared(session, [product_id], now))
        return found

    async def _load_shared(
        self, session: AsyncSession, product_ids: list[int], now: float
    ) -> dict[int, SkuStock]:
        started = self._epoch
        load: asyncio.Future[dict[int, SkuStock]] = asyncio.get_running_loop().create_future()
        for product_id in product_ids:
            self._loading[product_id] = (started, load)
        try:
            loaded = await _load_stock(session, product_ids, now)
        except BaseException as error:
            # Those waiting read it themselves (a cancelled reader must not cancel them).
            load.set_exception(RuntimeError(f"loading stock failed: {error!r}"))
            load.exception()  # retrieved: nobody need be waiting
            raise
        finally:
            for product_id in product_ids:
                if self._loading.get(product_id, (0, None))[1] is load:
                    del self._loading[product_id]
        entries = {pid: loaded.get(pid) or SkuStock({}, (), now) for pid in product_ids}
        load.set_result(entries)
        keep = self._keeping()
        for product_id, entry in entries.items():
            if keep and self._undropped_since(product_id, started):
                self._store(product_id, entry)
        return entries

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
        answered_at = self._position  # the outbox id the answer stands at
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
            loaded, included = await _count_orders_today(session, missing, now, self._is_sqlite)
            keep = self._keeping() and self._orders_dropped == started
            for location in missing:
                counts[location.id] = loaded.get(location.id, 0)
                if keep and self._fulfilments_read.get(location.id, 0) <= included:
                    self._counted[location.id] = (
                        starts[location.id],
                        counts[location.id],
                        included,
                    )
        if self._verify and limited:
            await self._check_counts(session, limited, now, counts, answered_at)
        return {lid: n for lid, n in counts.items() if n}

    async def _check_counts(
        self,
        session: AsyncSession,
        limited: Sequence[LocationFacts],
        now: datetime,
        counts: Mapping[int, int],
        answered_at: int | None,
    ) -> None:
        starts = _day_starts(limited, now)
        held = dict(counts)  # every location asked for: the counts answered
        if self._is_sqlite:
            # Nothing committed since the answer: it must equal the database exactly.
            fresh, included = await _count_orders_today(session, limited, now, True)
            if included == answered_at:
                if any(fresh.get(lid, 0) != n for lid, n in held.items()):
                    raise SnapshotDrift(f"orders today: snapshot {held}, database {fresh}")
                return
        for _ in range(VERIFY_ATTEMPTS):
            fresh = await count_orders_today(session, limited, now)
            if all(fresh.get(lid, 0) == n for lid, n in held.items()):
                return
            # Orders may have committed since the catch-up: look again before blaming
            # (counts dropped meanwhile are read afresh next time: nothing to compare).
            await self._catch_up_now(session)
            held = {
                location.id: entry[1]
                for location in limited
                if (entry := self._counted.get(location.id)) is not None
                and entry[0] == starts[location.id]
            }
        raise SnapshotDrift(f"orders today: snapshot {held}, database {fresh}")

    def orders_version(self) -> int | None:
        """Moves on whenever waiting units or today's order counts may have changed; None
        while the snapshot keeps nothing it reads (verification on, or ids distrusted)."""
        if self._verify or not self._keeping():
            return None
        return self._orders_version

    # -- staying current -----------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything (a bulk load or a restore of the database)."""
        self._epoch += 1
        self._stock.clear()
        self._dropped.clear()
        self._cleared_at = self._epoch
        self._drop_orders()
        self.cart_sources.clear()

    def _drop(self, product_id: int) -> None:
        self._epoch += 1
        self._dropped[product_id] = self._epoch
        self._stock.pop(product_id, None)

    def _apply_stock_change(self, facts: Mapping[str, Any]) -> None:
        """Patch a held SKU from an ``inventory.changed`` that says exactly what changed,
        or drop it."""
        product_id, location_id = facts.get("productId"), facts.get("locationId")
        if not isinstance(product_id, int):
            self.clear()
            return
        entry = self._stock.get(product_id)
        available, incoming = facts.get("available"), facts.get("incoming")
        if (
            entry is None
            or facts.get("reason") not in _PATCHED_REASONS
            or not isinstance(location_id, int)
            or not isinstance(available, int)
            or incoming
            != sum(row.units for row in entry.incoming if row.location_id == location_id)
        ):
            self._drop(product_id)
            return
        units = dict(entry.available)
        if available > 0:
            units[location_id] = available
        else:
            units.pop(location_id, None)
        self._drop(product_id)  # a load that raced this event is not kept
        self._store(product_id, SkuStock(units, entry.incoming, entry.loaded_at))

    def _count_new_fulfilment(self, event_id: int, facts: Mapping[str, Any]) -> None:
        """One more order today at the new fulfilment order's location, unless its count
        was read after the order was (SQLite only: there ids commit in order, so a count
        knows exactly which events it includes)."""
        location_id = facts.get("locationId")
        if not isinstance(location_id, int):
            self._drop_orders()
            return
        # Catch-ups of concurrent requests may finish out of order: keep the highest.
        self._fulfilments_read[location_id] = max(
            event_id, self._fulfilments_read.get(location_id, 0)
        )
        held = self._counted.get(location_id)
        if held is not None and event_id > held[2]:
            self._counted[location_id] = (held[0], held[1] + 1, event_id)
            self._orders_version += 1

    def _drop_orders(self) -> None:
        self._orders_dropped += 1
        self._orders_version += 1
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
            latest = await latest_event_id(session)
            # Concurrent first looks: the first to finish starts the position. A later one
            # could set it past events that loads made since have not seen.
            if self._position is None:
                self._position = latest
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
            latest = await latest_event_id(session)
            # What was loaded while the newest id was read may be older than it.
            self.clear()
            self._position = max(latest, self._position)
            if not self._is_sqlite:
                # An earlier id may still commit (see ``events.gaps``): keep nothing for a while.
                self._distrust_until = now + GAP_GRACE_SECONDS
            return
        # Another request's catch-up may have gone further while this one read: its stock
        # figures are newer than these rows', so only what lies beyond it is applied, and the
        # position never moves back.
        position = self._position
        rows = [row for row in rows if row[0] > position]
        if not rows:
            return
        for event_id, topic, payload in rows:
            self._apply(event_id, topic, payload if isinstance(payload, dict) else {})
        last = rows[-1][0]
        if self._is_sqlite:
            # One writer commits at a time: ids become visible in order.
            self._position = last
            return
        safe = self._gaps.safe_position(position, [row[0] for row in rows])
        self._gap_pending = safe < last
        self._position = safe

    def committed_here(
        self, first_id: int, events: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> None:
        """Events this process has just committed, with ids from ``first_id`` on, as written:
        applied at once when they directly follow what the snapshot has read, so the next
        read need not fetch them back (SQLite only, where ids become visible in order).
        Otherwise the next catch-up reads them as it reads everything else."""
        if not self._is_sqlite or self._position is None or first_id != self._position + 1:
            return
        for offset, (topic, facts) in enumerate(events):
            self._apply(first_id + offset, topic, facts)
        self._position = first_id + len(events) - 1

    def _apply(self, event_id: int, topic: str, facts: Mapping[str, Any]) -> None:
        if topic == Topic.INVENTORY_CHANGED.value:
            self._apply_stock_change(facts)
        elif topic == Topic.FULFILLMENT_CREATED.value and self._is_sqlite:
            self._count_new_fulfilment(event_id, facts)
        elif topic == Topic.ORDER_CREATED.value and not facts.get("backorders"):
            return
        elif topic not in _STOCK_ONLY:
            self._drop_orders()

    async def poll(self, session: AsyncSession) -> None:
        """Read the events committed since the last look now, whether or not a poll is due.

        The server calls this from a background task more often than ``poll_seconds``, so
        that a promise seldom finds the poll due and waits on the database itself: under
        load, a request waiting on the database waits a whole pass of the event loop per
        round trip.
        """
        await self._catch_up_now(session)

    async def _check(self, session: AsyncSession, held: Mapping[int, SkuStock]) -> None:
        differing = list(held)
        for _ in range(VERIFY_ATTEMPTS):
            fresh = await _load_stock(session, differing, self._clock())
            differing = [
                product_id
                for product_id in differing
                if (entry := self._stock.get(product_id)) is not None
                and not _same_stock(entry, fresh.get(product_id))
            ]
            if not differing:
                return
            # Commits may have landed since the catch-up: look again before blaming.
            await self._catch_up_now(session)
        product_id = differing[0]
        raise SnapshotDrift(f"product {product_id}: snapshot {self._stock.get(product_id)}")

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


async def _count_orders_today(
    session: AsyncSession, locations: Sequence[LocationFacts], now: datetime, is_sqlite: bool
) -> tuple[dict[int, int], int]:
    """``sourcing.orders_today``, and on SQLite the last outbox id the counts include, read
    in the same statement (one consistent read); 0 elsewhere, where counts are dropped
    rather than patched."""
    query = orders_today_query(locations, now)
    if not is_sqlite:
        return await count_orders_today(session, locations, now), 0
    position = select(null(), func.coalesce(func.max(OutboxEvent.id), 0))
    counts: dict[int, int] = {}
    included = 0
    rows: Any = await session.execute(union_all(position, query))
    for location_id, count in rows:
        if location_id is None:
            included = int(count)
        else:
            counts[location_id] = int(count)
    return counts, included


def _same_stock(held: SkuStock, fresh: SkuStock | None) -> bool:
    now = fresh or SkuStock({}, (), 0.0)
    return (dict(now.available), now.incoming) == (dict(held.available), held.incoming)


def _day_starts(locations: Sequence[LocationFacts], now: datetime) -> dict[int, datetime]:
    return {
        location_id: start
        for start, ids in local_midnights(locations, now).items()
        for location_id in ids
    }
