"""In-process copies of the catalogue facts every checkout reads: products, locations, channels.

Hot write paths must not spend a database round trip (or an ORM load) on facts that change a
few times a day. Entries are loaded on first use and again when older than ``MAX_AGE``; an id
or SKU not in the cache is looked up at once, so a product or location added by another
process is seen on its first request. Nothing here is used to decide stock: quantities are
always read in the transaction that changes them.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.engine import Database
from omnigraph.db.mapping import capabilities_of, location_type_of, point_of, schedule_of
from omnigraph.db.models import Channel, Location
from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.geo import GeoPoint, distance_km
from omnigraph.domain.promise import Candidate
from omnigraph.domain.vocabulary import Capability, LocationType

# How stale a cached product, location or channel may become when it is changed elsewhere.
MAX_AGE_SECONDS = 30.0
# A burst of checkouts asks for the same few destinations again and again: each keeps its
# distances by location id, so a cart's hundred candidates cost one hashed point.
DESTINATIONS_KEPT = 256


@functools.lru_cache(maxsize=DESTINATIONS_KEPT)
def distances_from(destination: GeoPoint) -> dict[tuple[int, float, float], float]:
    """Kilometres from ``destination`` by location (id and coordinates, in case it moves),
    filled in as locations are asked for."""
    return {}


@dataclass(frozen=True, slots=True)
class ProductFacts:
    id: int
    sku: str
    category: str
    weight_grams: int


@dataclass(frozen=True, slots=True)
class LocationFacts:
    """What sourcing, promises and holds read of a location, converted from its row once."""

    id: int
    code: str
    location_type: LocationType
    point: GeoPoint
    capabilities: frozenset[Capability]
    schedule: LocationSchedule
    postal_code: str
    timezone: str
    pick_cost_minor: int
    currency: str
    # 0 (the column's default) means no daily capacity was configured.
    daily_capacity: int

    def candidate(
        self,
        destination: GeoPoint,
        stock: Mapping[str, int],
        distances: dict[tuple[int, float, float], float] | None = None,
    ) -> Candidate:
        """This location as a candidate for ``destination``; ``distances`` are
        ``distances_from(destination)``, for callers building many candidates."""
        distances = distances_from(destination) if distances is None else distances
        point = self.point
        key = (self.id, point.latitude, point.longitude)
        distance = distances.get(key)
        if distance is None:
            distance = distances[key] = distance_km(destination, point)
        return Candidate(
            location_id=self.id,
            code=self.code,
            location_type=self.location_type,
            point=self.point,
            capabilities=self.capabilities,
            schedule=self.schedule,
            distance_km=distance,
            stock=stock,
        )


def location_facts(row: Location) -> LocationFacts:
    """A location row's facts, as the cache keeps them."""
    return LocationFacts(
        id=row.id,
        code=row.code,
        location_type=location_type_of(row),
        point=point_of(row),
        capabilities=capabilities_of(row),
        schedule=schedule_of(row),
        postal_code=row.postal_code,
        timezone=row.timezone,
        pick_cost_minor=row.pick_cost_minor,
        currency=row.currency,
        daily_capacity=row.daily_capacity,
    )


def _columns(row: Location) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in _LOCATION_COLUMNS}


_LOCATION_COLUMNS = tuple(inspect(Location).column_attrs)

T = TypeVar("T")


class CatalogCache:
    def __init__(self, db: Database, max_age: float = MAX_AGE_SECONDS) -> None:
        self._db = db
        self._max_age = max_age
        self._products: dict[str, ProductFacts] = {}
        self._locations: dict[int, LocationFacts] = {}
        # Each cached location's columns, for answers that show the whole location.
        self._records: dict[int, dict[str, Any]] = {}
        # What ``location_view`` built, with the record it was built from.
        self._views: dict[tuple[int, object], tuple[dict[str, Any], object]] = {}
        self._channels: set[str] = set()
        self._loaded_at = float("-inf")
        # Location loads in progress: id -> (the generation it began at, its result).
        self._loading: dict[int, tuple[int, asyncio.Future[dict[int, LocationFacts]]]] = {}
        # Moves on whenever a cached location's facts may be replaced (not when one is
        # added): what was derived from them (a promise's candidates) is only reused at the
        # same generation.
        self._generation = 0

    @property
    def generation(self) -> int:
        """Location facts read at one generation are the ones still cached at it."""
        self._expire_if_old()
        return self._generation

    def _expire_if_old(self) -> None:
        now = time.monotonic()
        if now - self._loaded_at > self._max_age:
            self._products.clear()
            self._locations.clear()
            self._records.clear()
            self._views.clear()
            self._channels.clear()
            self._loaded_at = now
            self._generation += 1

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
        self._generation += 1

    async def products(self, skus: Iterable[str]) -> dict[str, ProductFacts]:
        """The known products among ``skus`` (unknown SKUs are simply absent)."""
        self._expire_if_old()
        cached = self._products
        found: dict[str, ProductFacts] = {}
        missing: set[str] = set()
        for sku in skus:
            product = cached.get(sku)
            if product is None:
                missing.add(sku)
            else:
                found[sku] = product
        if missing:
            for pid, sku, category, weight in await self._load_products(sorted(missing)):
                found[sku] = cached[sku] = ProductFacts(pid, sku, category, weight)
        return found

    async def _load_products(self, skus: list[str]) -> Sequence[tuple[int, str, str, int]]:
        # Through the hot paths' own connections: a miss costs a prepared statement, not an
        # ORM session (a checkout of 1,000 different SKUs misses 1,000 times at first).
        if self._db.is_sqlite:
            marks = ", ".join("?" * len(skus))
            query = f"SELECT id, sku, category, weight_grams FROM products WHERE sku IN ({marks})"

            def load(connection: sqlite3.Connection) -> list[tuple[int, str, str, int]]:
                return connection.execute(query, skus).fetchall()

            return await self._db.sqlite_writer.run(load)
        pool = await self._db.asyncpg_pool()
        rows = await pool.fetch(
            "SELECT id, sku, category, weight_grams FROM products WHERE sku = ANY($1::text[])",
            skus,
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def channel_exists(self, code: str) -> bool:
        self._expire_if_old()
        if code not in self._channels:
            async with self._db.read_session() as session:
                if await session.scalar(select(Channel.id).where(Channel.code == code)) is None:
                    return False
            self._channels.add(code)
        return True

    def location(self, location_id: int) -> LocationFacts | None:
        """A cached location, or None when it must be loaded first (``load_locations``)."""
        return self._locations.get(location_id)

    async def locations(
        self, location_ids: Iterable[int], session: AsyncSession | None = None
    ) -> dict[int, LocationFacts]:
        """The facts of ``location_ids``, loading the ones not cached (unknown ids are absent).

        A caller inside a transaction passes its ``session``: a miss is then read on that
        connection instead of a second one (hundreds of concurrent orders each waiting for
        a second pooled connection would exhaust the pool).
        """
        self._expire_if_old()
        wanted = set(location_ids)
        # Hits are taken now: the cache may expire while the misses load.
        found = {lid: self._locations[lid] for lid in wanted if lid in self._locations}
        missing = wanted - found.keys()
        if missing:
            # A location another request is loading, at this generation, is taken from that
            # load: when the cache expires under load, every request in flight would
            # otherwise read the same locations (and each wait for the database).
            joined = {
                lid: self._loading[lid][1]
                for lid in missing
                if lid in self._loading and self._loading[lid][0] == self._generation
            }
            own = [lid for lid in missing if lid not in joined]
            if own:
                found.update(await self._load_shared(own, session))
            for lid, load in joined.items():
                try:
                    loaded = await asyncio.shield(load)
                except Exception:  # that load failed: read it here
                    loaded = await self.load_locations([lid], session)
                if lid in loaded:
                    found[lid] = loaded[lid]
        return found

    async def _load_shared(
        self, location_ids: list[int], session: AsyncSession | None
    ) -> dict[int, LocationFacts]:
        load: asyncio.Future[dict[int, LocationFacts]] = asyncio.get_running_loop().create_future()
        for lid in location_ids:
            self._loading[lid] = (self._generation, load)
        try:
            loaded = await self.load_locations(location_ids, session)
        except BaseException as error:
            # Those waiting read it themselves (a cancelled reader must not cancel them).
            load.set_exception(RuntimeError(f"loading locations failed: {error!r}"))
            load.exception()  # retrieved: nobody need be waiting
            raise
        finally:
            for lid in location_ids:
                if lid in self._loading and self._loading[lid][1] is load:
                    del self._loading[lid]
        load.set_result(loaded)
        return loaded

    async def load_locations(
        self, location_ids: Iterable[int] | None = None, session: AsyncSession | None = None
    ) -> dict[int, LocationFacts]:
        """Load the given locations (every location when ``None``) into the cache; what
        was loaded."""
        self._expire_if_old()
        query = select(Location)
        if location_ids is not None:
            query = query.where(Location.id.in_(sorted(set(location_ids))))
        if session is not None:
            rows = list(await session.scalars(query))
        else:
            async with self._db.read_session() as own:
                rows = list(await own.scalars(query))
        loaded = {row.id: location_facts(row) for row in rows}
        if not self._locations.keys().isdisjoint(loaded):
            self._generation += 1  # facts already handed out may be replaced
        self._locations.update(loaded)
        self._records.update((row.id, _columns(row)) for row in rows)
        return loaded

    def cached_location_row(self, location_id: int) -> Location | None:
        """A detached copy of a cached location's row, or None when it is not cached (then
        ``location_rows`` loads it)."""
        self._expire_if_old()
        record = self._records.get(location_id)
        return None if record is None else Location(**record)

    def location_view(self, location_id: int, build: Callable[[Location], T]) -> T | None:
        """``build`` of the cached location's row, made once and kept with the cached row
        (a reloaded row is built again); None when the location is not cached.

        For answers that show a location: copying the row and reading every column again
        cost more than the rest of a promise's answer. ``build`` must return a value its
        users never change, as every later caller gets the same one.
        """
        self._expire_if_old()
        record = self._records.get(location_id)
        if record is None:
            return None
        key = (location_id, build)
        kept = self._views.get(key)
        if kept is not None and kept[0] is record:
            return cast(T, kept[1])
        view = build(Location(**record))
        self._views[key] = (record, view)
        return view

    async def location_rows(self, location_ids: Iterable[int]) -> dict[int, Location]:
        """Detached copies of the locations' rows (unknown ids are absent), from the cache.

        Each call builds new objects, so a caller cannot change what the next one sees.
        """
        self._expire_if_old()
        wanted = set(location_ids)
        records = {lid: self._records[lid] for lid in wanted if lid in self._records}
        missing = wanted - records.keys()
        if missing:
            await self.load_locations(missing)
            records.update((lid, self._records[lid]) for lid in missing if lid in self._records)
        return {lid: Location(**record) for lid, record in records.items()}
