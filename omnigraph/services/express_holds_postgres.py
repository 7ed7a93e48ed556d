"""Express holds on PostgreSQL, written in batches: group commit for a hot SKU.

On a hot SKU every hold waits for the one before it to release the level's row lock, so the
rate is set by how long that lock is held per hold. Here holds queued in this process while
a batch is being written go into the next batch, and one transaction serves them all:

1. one statement: the batch's stocked levels, locked in id order (``FOR UPDATE``), with what
   sends a hold down the general path (a cart that already holds stock, a channel or product
   with a selling rule, a due hold of its SKUs);
2. each hold sourced in turn from those levels (the same planner as every hold), the units
   of one taken out before the next is planned, so no two holds count the same unit;
3. one statement: the levels' ``reserved``, the holds, their lines, ledger movements and
   ``inventory.changed`` events (each event with the level as that hold left it);
4. the commit.

Four round trips per batch (with BEGIN) however many holds it carries, against one statement
per hold otherwise; the pool's connections are not reset between batches. A hold the batch
cannot serve is refused alone (``INSUFFICIENT_STOCK`` and the rest) or handed back with
``NotExpress``; a failure of the batch itself fails its holds. Stock at a location the
catalogue cache has not loaded rolls the batch back, loads it, and writes the batch again.

The statements are prepared once per connection, and PostgreSQL keeps a generic plan for
each after a few runs. A plan made while the holds tables were nearly empty is cheap then and
ruinous later: it found a batch's carts and due holds by walking every active hold, so a flash
sale on a new database slowed down with every hold it took (4,600 holds/s in its first
second, 1,500 in its eighth). So the batcher has the two tables analysed once this process
has written 1,000 holds, and again at every doubling: fresh statistics invalidate the cached
plans, and the plans made next use the indexes (the cart's, the due holds' range). Autovacuum
would get there too, a minute or more later.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from omnigraph.db.engine import Database
from omnigraph.domain.errors import DomainError
from omnigraph.services.catalog_cache import CatalogCache
from omnigraph.services.express_reservations import (
    BatchLevel,
    BatchPlans,
    ExpressHold,
    Held,
    NotExpress,
    StaleLocations,
)
from omnigraph.services.reservation_views import ReservedLine

# How many holds one transaction carries at most.
MAX_BATCH = 128
# Batches written at once: while one holds the hot levels' locks and commits, the next
# reads what it needs and queues on those locks, so the commit's wait is not idle time.
IN_FLIGHT = 2
# A batch that meets a deadlock or a concurrent hold of one of its carts is retried whole.
DEADLOCK_ATTEMPTS = 5
# Holds written by this process before the holds tables are first analysed (then at every
# doubling): see the module's docstring.
ANALYZE_AFTER = 1_000
_ANALYZE = "ANALYZE reservations, reservation_lines"
_ACTIVE = "ACTIVE"
_AVAILABLE = "on_hand - committed - reserved - safety_stock - damaged"

logger = logging.getLogger(__name__)

_BLOCKERS = f"""
SELECT 'cart' AS kind, cart_id AS value FROM reservations
  WHERE cart_id = ANY($1::text[]) AND status = '{_ACTIVE}'
UNION ALL
SELECT DISTINCT 'channel', c.code FROM channel_exposure_rules r
  JOIN channels c ON c.id = r.channel_id WHERE c.code = ANY($2::text[])
UNION ALL
SELECT 'product', product_id::text FROM protected_stock_rules WHERE product_id = ANY($3::int[])
UNION ALL
SELECT 'category', category FROM protected_stock_rules WHERE category = ANY($4::text[])
UNION ALL
SELECT DISTINCT 'product', l.product_id::text FROM reservations r
  JOIN reservation_lines l ON l.reservation_id = r.id
  WHERE r.status = '{_ACTIVE}' AND r.expires_at <= $5 AND l.product_id = ANY($3::int[])
"""
# The stocked levels, locked in id order, each row with every blocker (``kind:value``): one
# round trip. The blockers are read in the statement's snapshot, taken before the lock wait,
# as a separate read before the lock would be; a cart held since is caught by the unique index.
_LOCK_LEVELS = f"""
WITH blockers AS ({_BLOCKERS})
SELECT l.id, l.location_id, l.product_id, l.on_hand, l.committed, l.reserved, l.safety_stock,
  l.damaged, l.incoming, (SELECT array_agg(kind || ':' || value) FROM blockers)
FROM inventory_levels l WHERE l.product_id = ANY($3::int[]) AND {_AVAILABLE} > 0
ORDER BY l.id FOR UPDATE OF l
"""
# The holds get their ids from the INSERT; lines and movements find theirs by cart (one hold
# per cart in a batch).
_WRITE = """
WITH levels AS (
  UPDATE inventory_levels l SET reserved = l.reserved + d.delta, updated_at = $1
  FROM unnest($2::int[], $3::int[]) AS d(id, delta) WHERE l.id = d.id
), holds AS (
  INSERT INTO reservations (cart_id, status, delivery_method, pickup_location_id,
    destination_latitude, destination_longitude, request_fingerprint, expires_at,
    created_at, updated_at)
  SELECT h.cart_id, 'ACTIVE', h.method, h.pickup, h.lat, h.lon, h.fingerprint,
    h.expires_at, h.created_at, h.created_at
  FROM unnest($4::text[], $5::text[], $6::int[], $7::float8[], $8::float8[], $9::text[],
    $10::timestamptz[], $11::timestamptz[]) WITH ORDINALITY
    AS h(cart_id, method, pickup, lat, lon, fingerprint, expires_at, created_at, n)
  ORDER BY h.n
  RETURNING id, cart_id
), held AS (
  SELECT holds.id AS reservation_id, l.* FROM unnest($12::text[], $13::int[], $14::int[],
    $15::int[], $16::text[]) AS l(cart_id, location_id, product_id, quantity, actor)
  JOIN holds ON holds.cart_id = l.cart_id
), hold_lines AS (
  INSERT INTO reservation_lines (reservation_id, location_id, product_id, quantity)
  SELECT reservation_id, location_id, product_id, quantity FROM held
), ledger AS (
  INSERT INTO inventory_movements (location_id, product_id, bucket, delta, reason, actor,
    source, external_id, created_at)
  SELECT location_id, product_id, 'RESERVED', quantity, 'RESERVATION', actor, 'omnigraph',
    'reservation:' || reservation_id || ':hold', $1
  FROM held
), events AS (
  INSERT INTO outbox_events (topic, aggregate_type, aggregate_id, payload, actor, occurred_at)
  SELECT 'inventory.changed', 'inventory_level', e.level_id, e.payload::json, e.actor, $1
  FROM unnest($17::int[], $18::text[], $16::text[]) WITH ORDINALITY
    AS e(level_id, payload, actor, n)
  ORDER BY e.n
  RETURNING id
)
SELECT holds.cart_id, holds.id, (SELECT max(id) FROM events) FROM holds
"""


class _UnknownLocations(Exception):
    """Stock sits at locations the catalogue cache has not loaded: load them, then retry."""

    def __init__(self, location_ids: set[int]) -> None:
        super().__init__(sorted(location_ids))
        self.location_ids = location_ids


@dataclass(slots=True)
class _Queued:
    hold: ExpressHold
    future: asyncio.Future[Held]


@dataclass(slots=True)
class _Plan:
    """What one batch writes, gathered hold by hold."""

    levels: list[BatchLevel]
    holds: list[tuple[ExpressHold, list[ReservedLine]]] = dataclasses.field(default_factory=list)
    # One entry per held line: its level id and the event payload as that hold left it.
    events: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    carts: set[str] = dataclasses.field(default_factory=set)


def _blocker(text: str) -> tuple[str, str]:
    kind, value = text.split(":", 1)
    return kind, value


def _blocked(hold: ExpressHold, blockers: set[tuple[str, str]]) -> bool:
    request = hold.request
    if ("cart", request.cart_id) in blockers:
        return True
    if request.channel is not None and ("channel", request.channel) in blockers:
        return True
    return any(
        ("product", str(product.id)) in blockers or ("category", product.category) in blockers
        for product in hold.products.values()
    )


class HoldBatcher:
    """``await batcher.hold(express_hold)``: the hold, written with whatever else is queued."""

    def __init__(self, db: Database, catalog: CatalogCache) -> None:
        self._db = db
        self._catalog = catalog
        self._queue: list[_Queued] = []
        self._drainers: set[asyncio.Task[None]] = set()
        self._written = 0  # holds this batcher wrote
        self._analyze_at = ANALYZE_AFTER
        self._analysing: asyncio.Task[None] | None = None

    async def hold(self, hold: ExpressHold) -> Held:
        future: asyncio.Future[Held] = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(hold, future))
        if len(self._drainers) < IN_FLIGHT:
            task = asyncio.create_task(self._drain(), name="omnigraph-hold-batcher")
            self._drainers.add(task)
            task.add_done_callback(self._drainers.discard)
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                outcomes = await self._write([queued.hold for queued in batch])
            except Exception as error:  # the batch itself failed: so did each of its holds
                outcomes = [error] * len(batch)
            self._count_written(sum(isinstance(outcome, Held) for outcome in outcomes))
            for queued, outcome in zip(batch, outcomes, strict=True):
                if queued.future.done():
                    continue
                if isinstance(outcome, BaseException):
                    queued.future.set_exception(outcome)
                else:
                    queued.future.set_result(outcome)

    def _count_written(self, holds: int) -> None:
        """Count holds written; past the next threshold, analyse the holds tables beside
        the batches (one analysis at a time)."""
        self._written += holds
        if self._written < self._analyze_at or self._analysing is not None:
            return
        while self._analyze_at <= self._written:
            self._analyze_at *= 2
        self._analysing = asyncio.create_task(self._analyze(), name="omnigraph-hold-analyze")

    async def analysis_done(self) -> None:
        """Wait for the analysis under way, if any."""
        if self._analysing is not None:
            await asyncio.shield(self._analysing)

    async def _analyze(self) -> None:
        try:
            pool = await self._db.asyncpg_pool()
            async with pool.acquire() as connection:
                await connection.execute(_ANALYZE)
        except Exception:  # statistics only: the holds are written either way
            logger.exception("analysing the holds tables failed; autovacuum will")
        finally:
            self._analysing = None

    async def _write(self, holds: list[ExpressHold]) -> list[Held | Exception]:
        pool = await self._db.asyncpg_pool()
        async with pool.acquire() as connection:
            attempt = 0
            load = True
            while True:
                try:
                    async with connection.transaction():
                        return await self._write_batch(connection, holds, load)
                except _UnknownLocations as unknown:
                    # Loaded with no row locked: loading takes a connection of the ORM's
                    # pool, which general-path writers waiting for our locks may hold.
                    await self._catalog.load_locations(unknown.location_ids)
                    load = False
                except (asyncpg.DeadlockDetectedError, asyncpg.UniqueViolationError):
                    # A deadlock with a general-path writer, or a cart given a hold by
                    # another process since the read: the next attempt reads again.
                    attempt += 1
                    if attempt == DEADLOCK_ATTEMPTS:
                        raise

    async def _write_batch(
        self, connection: asyncpg.Connection, holds: list[ExpressHold], load: bool
    ) -> list[Held | Exception]:
        now = holds[0].now
        product_ids = sorted({pid for hold in holds for pid in hold.product_ids})
        arguments = (
            [hold.request.cart_id for hold in holds],
            sorted({h.request.channel for h in holds if h.request.channel is not None}),
            product_ids,
            sorted({c for hold in holds for c in hold.categories}),
            min(hold.now for hold in holds),
        )
        rows = await connection.fetch(_LOCK_LEVELS, *arguments)
        blockers: set[tuple[str, str]]
        if rows:
            blockers = {_blocker(text) for text in rows[0][9] or ()}
        else:  # nothing in stock: no row carries the blockers
            blockers = {
                (kind, value) for kind, value in await connection.fetch(_BLOCKERS, *arguments)
            }
        missing = {row[1] for row in rows if self._catalog.location(row[1]) is None}
        if missing and load:
            raise _UnknownLocations(missing)
        plans = BatchPlans([BatchLevel(*row[:9]) for row in rows])
        plan = _Plan(list(plans.levels.values()))
        planned: list[list[ReservedLine] | Exception] = []
        for hold in holds:
            if _blocked(hold, blockers) or hold.request.cart_id in plan.carts:
                planned.append(NotExpress())
                continue
            try:
                lines = plans.lines(hold, self._catalog)
            except StaleLocations:  # not in the catalogue even after loading
                planned.append(NotExpress())
                continue
            except DomainError as refused:  # this hold alone: INSUFFICIENT_STOCK and the like
                planned.append(refused)
                continue
            _take(plans, plan, hold, lines)
            planned.append(lines)
        ids: dict[str, int] = {}
        last_event_id = 0
        if plan.holds:
            written = await connection.fetch(_WRITE, now, *_arguments(plan))
            ids = {cart_id: reservation_id for cart_id, reservation_id, _ in written}
            last_event_id = written[0][2] or 0
        return [
            outcome
            if isinstance(outcome, Exception)
            else Held(hold.view(ids[hold.request.cart_id], outcome), last_event_id)
            for hold, outcome in zip(holds, planned, strict=True)
        ]


def _take(plans: BatchPlans, plan: _Plan, hold: ExpressHold, lines: list[ReservedLine]) -> None:
    """Take ``lines`` out of the locked levels and add the hold's rows to ``plan``."""
    plan.holds.append((hold, lines))
    plan.carts.add(hold.request.cart_id)
    for line in lines:
        level = plans.levels[(line.location_id, line.product_id)]
        before = level.take(line.quantity)
        plan.events.append((level.id, level.change_text(line, before)))


def _arguments(plan: _Plan) -> Sequence[Any]:
    holds = [hold for hold, _ in plan.holds]
    lines = [(hold, line) for hold, held in plan.holds for line in held]
    taken = [level for level in plan.levels if level.taken]
    return (
        [level.id for level in taken],
        [level.taken for level in taken],
        [hold.request.cart_id for hold in holds],
        [hold.method.value for hold in holds],
        [hold.request.pickup_location_id for hold in holds],
        [d.latitude if (d := hold.request.destination) else None for hold in holds],
        [d.longitude if (d := hold.request.destination) else None for hold in holds],
        [hold.fingerprint for hold in holds],
        [hold.expires_at for hold in holds],
        [hold.now for hold in holds],
        [hold.request.cart_id for hold, _ in lines],
        [line.location_id for _, line in lines],
        [line.product_id for _, line in lines],
        [line.quantity for _, line in lines],
        [hold.request.actor for hold, _ in lines],
        [level_id for level_id, _ in plan.events],
        [payload for _, payload in plan.events],
    )
