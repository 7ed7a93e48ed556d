"""What the sourcing engine needs from the database and the plugins, loaded in one place.

Promises, order capture and simulation all call ``omnigraph.domain.sourcing.decide`` with
inputs built here, so they apply the same rules, costs, capacities and supply.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import TYPE_CHECKING

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import (
    FulfillmentOrder,
    InventoryLevel,
    SourcingExclusion,
    SourcingMarginRule,
    SourcingMethodRule,
)
from omnigraph.db.models.sourcing import ALL_CHANNELS
from omnigraph.domain.calendar import local_day_start
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from omnigraph.domain.promise import Candidate, EligibilityRule
from omnigraph.domain.rating import RateTable, us_ground_and_express
from omnigraph.domain.sourcing import (
    ChannelPolicy,
    CheckedCandidates,
    CostTerm,
    IncomingSupply,
    MarginRule,
    MethodPolicy,
    PickLabour,
    SourcingCandidate,
    SourcingRules,
    check_candidates,
)
from omnigraph.domain.supply import free_incoming
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentStatus, LocationType
from omnigraph.services.backorders import waiting_units
from omnigraph.services.catalog_cache import CatalogCache, LocationFacts
from omnigraph.services.network import ProductRef, StockedLocation, to_candidates

if TYPE_CHECKING:
    from omnigraph.services.core import Services
    from omnigraph.services.stock_snapshot import StockSnapshot

# How long a process trusts the stored sourcing rules it read (see ``StoredRulesCache``).
RULES_MAX_AGE_SECONDS = 5.0
# Fulfilment orders that no longer use a location's daily capacity.
NOT_COUNTED = (FulfillmentStatus.CANCELLED.value, FulfillmentStatus.REJECTED.value)


@dataclass(frozen=True, slots=True)
class SourcingInputs:
    """Rules and per-location facts for one decision (or a batch at the same moment).

    ``orders_today`` counts each location's fulfilment orders since its local midnight;
    ``incoming`` is supply with an expected date per location; ``supply_locations`` are
    locations with incoming supply of the cart but nothing available now (backorder
    sources that the stock query alone would not find).
    """

    rules: SourcingRules
    orders_today: Mapping[int, int] = field(default_factory=dict)
    incoming: Mapping[int, tuple[IncomingSupply, ...]] = field(default_factory=dict)
    supply_locations: tuple[LocationFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class PluginSourcing:
    filters: tuple[EligibilityRule, ...]
    terms: tuple[CostTerm, ...]


def plugin_sourcing(services: Services) -> PluginSourcing:
    """What ``omnigraph_sourcing_rules`` returned: ``check`` filters and ``cost`` terms.

    Start-up refused anything that is neither (``omnigraph.plugin_host.PluginLoadError``).
    """
    return PluginSourcing(tuple(services.sourcing_rules), tuple(services.sourcing_terms))


def sourcing_rates(services: Services) -> RateTable:
    """The rate table the engine costs plans with.

    A carrier may expose ``rate_table`` (a domain ``RateTable``) for the engine to cost
    with; otherwise the built-in US ground/express table is used, which is also the
    table-rate plugin's default card. Customer prices always come from the carriers.
    """
    currency = services.settings.default_currency
    for carrier in services.carriers:
        table = getattr(carrier, "rate_table", None)
        if isinstance(table, RateTable) and table.currency == currency:
            return table
    return _built_in_rates(currency)


@functools.lru_cache(maxsize=8)
def _built_in_rates(currency: str) -> RateTable:
    # Built and checked once per currency, not once per method of every promise.
    return us_ground_and_express(currency)


def policy_of(row: SourcingMethodRule, currency: str) -> MethodPolicy:
    return MethodPolicy(
        max_distance_km=row.max_distance_km,
        min_stock={LocationType(k): int(v) for k, v in (row.min_stock or {}).items()},
        promise_business_days=row.promise_business_days,
        max_packages=row.max_packages,
        split_penalty=None
        if row.split_penalty_minor is None
        else Money(row.split_penalty_minor, currency),
        allow_backorder=row.allow_backorder,
    )


async def load_rules(session: AsyncSession, currency: str) -> SourcingRules:
    """Every stored sourcing rule as one validated ``SourcingRules``."""
    methods: dict[DeliveryMethod, MethodPolicy] = {}
    channel_methods: dict[str, dict[DeliveryMethod, MethodPolicy]] = defaultdict(dict)
    for row in await session.scalars(select(SourcingMethodRule).order_by(SourcingMethodRule.id)):
        method = DeliveryMethod(row.method)
        if row.channel == ALL_CHANNELS:
            methods[method] = policy_of(row, currency)
        else:
            channel_methods[row.channel][method] = policy_of(row, currency)
    exclusions = {row.channel: row for row in await session.scalars(select(SourcingExclusion))}
    channels: dict[str, ChannelPolicy] = {}
    for code in sorted(set(channel_methods) | set(exclusions)):
        excluded = exclusions.get(code)
        channels[code] = ChannelPolicy(
            excluded_location_ids=frozenset(excluded.location_ids if excluded else ()),
            excluded_location_types=frozenset(
                LocationType(t) for t in (excluded.location_types if excluded else ())
            ),
            methods=channel_methods.get(code, {}),
        )
    margin_row = await session.scalar(select(SourcingMarginRule).order_by(SourcingMarginRule.id))
    margin = (
        None
        if margin_row is None
        else MarginRule(
            Money(margin_row.threshold_minor, currency),
            LocationType(margin_row.prefer),
            LocationType(margin_row.over),
        )
    )
    return SourcingRules(currency=currency, methods=methods, channels=channels, margin=margin)


class StoredRulesCache:
    """The stored sourcing rules, read at most every ``max_age`` seconds.

    Every promise and capture needs the rules, and they change a few times a season. The
    admin mutations and the rules file call ``invalidate`` after they commit, so changes
    made through this process apply to the next decision; another process's changes are
    seen within ``max_age``.
    """

    def __init__(self, max_age: float = RULES_MAX_AGE_SECONDS) -> None:
        self._max_age = max_age
        self._rules: SourcingRules | None = None
        self._loaded_at = float("-inf")
        self._generation = 0
        # The read in progress, for (generation, currency).
        self._loading: tuple[tuple[int, str], asyncio.Future[SourcingRules]] | None = None

    def invalidate(self) -> None:
        self._rules = None
        self._generation += 1

    async def get(self, session: AsyncSession, currency: str) -> SourcingRules:
        now = monotonic()
        cached = self._rules
        if (
            cached is not None
            and cached.currency == currency
            and now - self._loaded_at < (self._max_age)
        ):
            return cached
        return await self._load(session, currency, now)

    async def refresh(self, session: AsyncSession, currency: str, older_than: float) -> None:
        """Read the rules again if they were read more than ``older_than`` seconds ago: the
        server does this in the background, so a decision seldom waits for a reload."""
        now = monotonic()
        if (
            self._rules is None
            or self._rules.currency != currency
            or (now - self._loaded_at >= older_than)
        ):
            await self._load(session, currency, now)

    async def _load(self, session: AsyncSession, currency: str, now: float) -> SourcingRules:
        generation = self._generation
        key = (generation, currency)
        if self._loading is not None and self._loading[0] == key:
            # Another request is reading them: under load, a burst of requests that all
            # found the rules due would otherwise each read them (and each wait for it).
            with contextlib.suppress(Exception):
                return await asyncio.shield(self._loading[1])
        loading: asyncio.Future[SourcingRules] = asyncio.get_running_loop().create_future()
        self._loading = (key, loading)
        try:
            rules = await load_rules(session, currency)
        except BaseException as error:
            # Waiters read the rules themselves (a cancelled reader must not cancel them).
            loading.set_exception(RuntimeError(f"reading the sourcing rules failed: {error!r}"))
            loading.exception()  # retrieved: nobody need be waiting
            raise
        finally:
            if self._loading is not None and self._loading[1] is loading:
                self._loading = None
        if self._rules is not None and rules == self._rules:
            # Unchanged: keep the object, which promises compare by identity to reuse what
            # they worked out from it (``CartSourcesCache``, ``DecisionMemo``).
            rules = self._rules
        loading.set_result(rules)
        if generation == self._generation:  # not invalidated while it loaded
            self._rules, self._loaded_at = rules, now
        return rules


def local_midnights(locations: Iterable[LocationFacts], now: datetime) -> dict[datetime, list[int]]:
    """Locations grouped by the UTC instant their local day began."""
    grouped: dict[datetime, list[int]] = defaultdict(list)
    for location in locations:
        grouped[local_day_start(location.schedule.zone, now)].append(location.id)
    return grouped


async def orders_today(
    session: AsyncSession, locations: Iterable[LocationFacts], now: datetime
) -> dict[int, int]:
    """Fulfilment orders each location received since its local midnight, in one query.

    Only locations with a daily capacity are counted: the others have nothing to check.
    """
    limited = [location for location in locations if location.daily_capacity > 0]
    if not limited:
        return {}
    rows = await session.execute(orders_today_query(limited, now))
    return {location_id: int(count) for location_id, count in rows}


def orders_today_query(limited: Sequence[LocationFacts], now: datetime) -> Select[int, int]:
    """(location id, fulfilment orders since its local midnight) of ``limited``."""
    # Each location is in exactly one time zone group, so each row meets its own midnight.
    since_midnight = or_(
        *(
            and_(FulfillmentOrder.location_id.in_(ids), FulfillmentOrder.created_at >= start)
            for start, ids in local_midnights(limited, now).items()
        )
    )
    return (
        select(FulfillmentOrder.location_id, func.count())
        .where(since_midnight, FulfillmentOrder.status.not_in(NOT_COUNTED))
        .group_by(FulfillmentOrder.location_id)
    )


async def incoming_supply(
    session: AsyncSession,
    products: Mapping[str, ProductRef],
    catalog: CatalogCache,
    snapshot: StockSnapshot | None = None,
) -> tuple[dict[int, tuple[IncomingSupply, ...]], dict[int, LocationFacts]]:
    """Supply with an expected date per location, less what waiting orders claimed, and
    those locations' facts (read from ``snapshot`` when given)."""
    if not products:
        return {}, {}
    sku_by_id = {product.id: sku for sku, product in products.items()}
    rows: list[tuple[int, int, int, datetime | None]]
    if snapshot is None:
        L = InventoryLevel
        found = await session.execute(
            select(L.location_id, L.product_id, L.incoming, L.incoming_expected_at)
            .where(L.product_id.in_(sku_by_id), L.incoming > 0, L.incoming_expected_at.is_not(None))
            .order_by(L.location_id, L.product_id)
        )
        rows = [(lid, pid, units, expected) for lid, pid, units, expected in found]
    else:
        held = await snapshot.stock(session, sku_by_id)
        rows = sorted(
            (row.location_id, product_id, row.units, row.expected_at)
            for product_id, stock in held.items()
            for row in stock.incoming
        )
    if not rows:
        return {}, {}
    locations = await catalog.locations((row[0] for row in rows), session)
    # Units already promised to orders waiting for this supply are not offered again.
    waiting = await (
        waiting_units(session, sku_by_id)
        if snapshot is None
        else snapshot.waiting(session, sku_by_id)
    )
    supply: dict[int, list[IncomingSupply]] = defaultdict(list)
    for location_id, product_id, quantity, expected_at in rows:
        location = locations.get(location_id)
        free = free_incoming(quantity, waiting.get((location_id, product_id), 0))
        if expected_at is None or location is None or free <= 0:
            continue
        expected = expected_at.astimezone(location.schedule.zone).date()
        supply[location_id].append(IncomingSupply(sku_by_id[product_id], free, expected))
    return {lid: tuple(items) for lid, items in supply.items()}, {
        lid: locations[lid] for lid in supply
    }


async def load_inputs(
    session: AsyncSession,
    services: Services,
    stocked: Sequence[StockedLocation],
    products: Mapping[str, ProductRef],
    now: datetime,
    snapshot: StockSnapshot | None = None,
) -> SourcingInputs:
    """Rules, today's order counts and incoming supply for a cart's candidate locations.

    Promises pass ``services.stock_snapshot``; order capture reads in its own transaction.
    """
    rules = await services.stored_rules.get(session, services.settings.default_currency)
    incoming, supply_rows = await incoming_supply(session, products, services.catalog, snapshot)
    stocked_ids = {item.location.id for item in stocked}
    extra = tuple(row for lid, row in sorted(supply_rows.items()) if lid not in stocked_ids)
    counted = [item.location for item in stocked] + list(extra)
    counts = await (
        orders_today(session, counted, now)
        if snapshot is None
        else snapshot.orders_today(session, counted, now)
    )
    return SourcingInputs(rules, counts, incoming, extra)


def sourcing_candidates(
    candidates: Sequence[Candidate],
    locations: Mapping[int, LocationFacts],
    inputs: SourcingInputs,
    destination: GeoPoint,
    currency: str,
) -> CheckedCandidates:
    """Candidates with pick labour, capacity, today's orders and incoming supply, checked
    once for every method they are quoted for."""
    known = {c.location_id for c in candidates}
    supply_only = to_candidates(
        (StockedLocation(row, {}) for row in inputs.supply_locations if row.id not in known),
        destination,
    )
    rows = {**{row.id: row for row in inputs.supply_locations}, **locations}
    found: list[SourcingCandidate] = []
    labour: dict[int, PickLabour] = {}  # most locations share a few pick costs
    for candidate in [*candidates, *supply_only]:
        row = rows.get(candidate.location_id)
        pick = row.pick_cost_minor if row is not None and row.currency == currency else 0
        capacity = row.daily_capacity if row is not None else 0
        if pick not in labour:
            # A location's pick cost is per line picked (a walk to the bin).
            labour[pick] = PickLabour(Money(pick, currency), Money.zero(currency))
        found.append(
            SourcingCandidate(
                candidate,
                labour=labour[pick],
                orders_today=inputs.orders_today.get(candidate.location_id, 0),
                # 0 (the column's default) means no capacity was configured.
                daily_capacity=capacity if capacity > 0 else None,
                incoming=inputs.incoming.get(candidate.location_id, ()),
            )
        )
    return check_candidates(found, currency)
