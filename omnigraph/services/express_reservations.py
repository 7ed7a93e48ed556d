"""The express path of a checkout hold, for the request a flash sale is made of.

Most holds are a new cart with no hold of the same SKUs waiting to expire. Such a hold needs
no ORM and no read-then-write transaction: it reads the stock, sources it with the same
planner as every other hold, and writes the hold, its levels, ledger and events with a few
prepared statements, together with the other holds queued beside it.

- On SQLite the holds queued while the writer thread (``db.sqlite_writer``) commits its last
  batch form its next one (``express_holds_sqlite``): the reads, the channel exposure and
  protected-stock checks and the writes of the whole batch sit in one serialised transaction.
- On PostgreSQL the holds queued in this process while one batch is written form the next
  batch, written in one transaction (``express_holds_postgres``): the hot level's row lock
  is taken once per batch, not once per hold. A selling rule needs the products locked
  across read and write (``ruled_and_locked``), so those holds go the general way there.

Anything else (a cart replacing its hold, an invalid request) raises ``NotExpress`` before
writing, and ``reservations`` takes the general path. Both paths write the same rows,
ledger movements and ``inventory.changed`` events.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from omnigraph.domain.errors import DomainError
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.orders import LineRequest, line_problems
from omnigraph.domain.promise import EligibilityRule, PlanRefusal, plan_fulfilment, refusal_error
from omnigraph.domain.reservations import (
    ReservationStatus,
    cart_id_problems,
    placement_problems,
    request_fingerprint,
    reservation_method,
    reservation_ttl,
)
from omnigraph.domain.vocabulary import DeliveryMethod, InventoryBucket, MovementReason
from omnigraph.events.types import Topic
from omnigraph.services.catalog_cache import CatalogCache, ProductFacts
from omnigraph.services.inventory import change_payload
from omnigraph.services.reservation_views import (
    ReservationRequest,
    ReservationView,
    ReservedLine,
)

if TYPE_CHECKING:
    from omnigraph.services.core import Services

ACTIVE = ReservationStatus.ACTIVE.value
BUCKET = InventoryBucket.RESERVED.value
REASON = MovementReason.RESERVATION.value
TOPIC = Topic.INVENTORY_CHANGED.value


class NotExpress(Exception):
    """The request needs the general path: it replaces a hold, meets a rule, or is invalid."""


class StaleLocations(Exception):
    """Stock sits at locations the catalogue cache has not loaded yet."""

    def __init__(self, location_ids: set[int]) -> None:
        super().__init__(sorted(location_ids))
        self.location_ids = location_ids


# Not frozen: made for every hold, and a frozen dataclass pays a call per field to be built.
@dataclass(slots=True)
class ExpressHold:
    """A request checked against the catalogue, ready to be sourced and written."""

    request: ReservationRequest
    method: DeliveryMethod
    products: dict[str, ProductFacts]
    destination: GeoPoint
    fingerprint: str
    now: datetime
    expires_at: datetime
    rules: Sequence[EligibilityRule]
    product_ids: tuple[int, ...]
    categories: tuple[str, ...]

    def source(
        self, stock_rows: Sequence[tuple[int, int, int]], catalog: CatalogCache
    ) -> list[ReservedLine]:
        """The lines to hold, planned from (location id, product id, available) rows."""
        sku_of = {product.id: sku for sku, product in self.products.items()}
        stock: dict[int, dict[str, int]] = {}
        for location_id, product_id, available in stock_rows:
            stock.setdefault(location_id, {})[sku_of[product_id]] = int(available)
        missing = {lid for lid in stock if catalog.location(lid) is None}
        if missing:
            raise StaleLocations(missing)
        candidates = [
            catalog_location.candidate(self.destination, stock[lid])
            for lid in sorted(stock)
            if (catalog_location := catalog.location(lid)) is not None
        ]
        plan = plan_fulfilment(
            self.method,
            {line.sku: line.quantity for line in self.request.lines},
            candidates,
            only_location_id=self.request.pickup_location_id,
            rules=self.rules,
        )
        if isinstance(plan, PlanRefusal):
            raise refusal_error(plan)
        lines = [
            ReservedLine(allocation.candidate.location_id, self.products[sku].id, sku, qty)
            for allocation in plan.allocations
            for sku, qty in allocation.quantities.items()
        ]
        return sorted(lines, key=lambda line: (line.location_id, line.product_id))

    def view(self, reservation_id: int, lines: Sequence[ReservedLine]) -> ReservationView:
        return ReservationView(
            id=reservation_id,
            cart_id=self.request.cart_id,
            status=ReservationStatus.ACTIVE,
            delivery_method=self.method,
            pickup_location_id=self.request.pickup_location_id,
            expires_at=self.expires_at,
            created_at=self.now,
            ended_at=None,
            order_id=None,
            lines=tuple(lines),
        )


@functools.lru_cache(maxsize=4096)
def _shape(
    lines: tuple[LineRequest, ...],
    asked_method: DeliveryMethod | None,
    destination: GeoPoint | None,
    pickup_location_id: int | None,
    ttl_seconds: int | None,
) -> tuple[DeliveryMethod, str, timedelta] | None:
    """The method, fingerprint and lifetime of a request of known SKUs, or None when the
    request is invalid. A flash sale is many carts asking for the same thing: each distinct
    request is checked and hashed once."""
    method = reservation_method(asked_method, pickup_location_id)
    known = dict.fromkeys(line.sku for line in lines)
    if line_problems(lines, known) or placement_problems(method, destination, pickup_location_id):
        return None
    try:
        ttl = reservation_ttl(ttl_seconds)
    except DomainError:
        return None
    fingerprint = request_fingerprint(lines, method, destination, pickup_location_id)
    return method, fingerprint, ttl


async def prepare(services: Services, request: ReservationRequest) -> ExpressHold:
    """Check the request against the cached catalogue; ``NotExpress`` for anything the
    general path must look at (including every invalid request: it words the errors)."""
    catalog = services.catalog
    skus = [line.sku for line in request.lines]
    products = await catalog.products(skus)
    if len(products) != len(set(skus)) or cart_id_problems(request.cart_id):
        raise NotExpress
    shape = _shape(
        tuple(request.lines),
        request.method,
        request.destination,
        request.pickup_location_id,
        request.ttl_seconds,
    )
    if shape is None:
        raise NotExpress
    method, fingerprint, ttl = shape
    if request.channel is not None and not await catalog.channel_exists(request.channel):
        raise NotExpress
    destination = request.destination
    if request.pickup_location_id is not None:
        pickup = catalog.location(request.pickup_location_id)
        if pickup is None:
            await catalog.load_locations([request.pickup_location_id])
            pickup = catalog.location(request.pickup_location_id)
        if pickup is None:
            raise NotExpress
        destination = destination or pickup.point
    assert destination is not None  # placement_problems asked for one or the other
    now = services.clock()
    if len(products) == 1:  # most checkouts in a rush: skip the sorting
        (only,) = products.values()
        product_ids: tuple[int, ...] = (only.id,)
        categories: tuple[str, ...] = (only.category,)
    else:
        product_ids = tuple(sorted(product.id for product in products.values()))
        categories = tuple(sorted({product.category for product in products.values()}))
    return ExpressHold(
        request=request,
        method=method,
        products=products,
        destination=destination,
        fingerprint=fingerprint,
        now=now,
        expires_at=now + ttl,
        rules=services.sourcing_rules,
        product_ids=product_ids,
        categories=categories,
    )


def change_of(line: ReservedLine, before: StockLevel, after: StockLevel) -> dict[str, Any]:
    """The ``inventory.changed`` payload of holding ``line``."""
    return change_payload(line.location_id, line.product_id, line.sku, before, after, REASON)


@functools.lru_cache(maxsize=4096)
def _json_string(text: str) -> str:
    return json.dumps(text)


class LevelNumbers(Protocol):
    """A level's quantities as ``StockLevel`` names them (the batches keep their own)."""

    @property
    def available(self) -> int: ...
    @property
    def on_hand(self) -> int: ...
    @property
    def committed(self) -> int: ...
    @property
    def reserved(self) -> int: ...
    @property
    def safety_stock(self) -> int: ...
    @property
    def damaged(self) -> int: ...
    @property
    def incoming(self) -> int: ...


def change_text(line: ReservedLine, before_available: int, after: LevelNumbers) -> str:
    """``json.dumps(change_of(line, before, after))``, without building the dict: one of these
    is written for every held line."""
    return join_change_text(change_text_parts(line, after), before_available, after)


def change_text_parts(line: ReservedLine, level: LevelNumbers) -> tuple[str, str, str]:
    """``change_text`` of holding ``line`` at ``level`` cut where more holds change it: the
    text before the available-before number, from the on-hand number to the reserved one,
    and after it. A batch makes these once per level."""
    return (
        f'{{"locationId": {line.location_id}, "productId": {line.product_id},'
        f' "sku": {_json_string(line.sku)}, "reason": "{REASON}", "availableBefore": ',
        f', "onHand": {level.on_hand}, "committed": {level.committed}, "reserved": ',
        f', "safetyStock": {level.safety_stock}, "damaged": {level.damaged},'
        f' "incoming": {level.incoming}}}',
    )


def join_change_text(
    parts: tuple[str, str, str], before_available: int, after: LevelNumbers
) -> str:
    """``change_text`` from ``change_text_parts`` of the same line and level."""
    head, middle, tail = parts
    return f'{head}{before_available}, "available": {after.available}{middle}{after.reserved}{tail}'


def hold_external_id(reservation_id: int) -> str:
    return f"reservation:{reservation_id}:hold"


@dataclass(slots=True)
class BatchLevel:
    """A stocked level as the holds of a batch so far left it (``LevelNumbers``)."""

    id: int
    location_id: int
    product_id: int
    on_hand: int
    committed: int
    reserved: int
    safety_stock: int
    damaged: int
    incoming: int
    available: int = 0
    taken: int = 0
    updated_at: str = ""  # as SQLite stores it, when a batch there took from the level
    # ``change_text`` of this level cut where a hold changes it (``change_text_parts``).
    _text: tuple[str, str, str] | None = None

    def __post_init__(self) -> None:
        self.available = self._available()

    def _available(self) -> int:
        raw = self.on_hand - self.committed - self.reserved - self.safety_stock - self.damaged
        return max(0, raw)

    def take(self, quantity: int) -> int:
        """Hold ``quantity`` more; returns what was available before."""
        before = self.available
        self.reserved += quantity
        self.available = self._available()
        self.taken += quantity
        return before

    def change_text(self, line: ReservedLine, before: int) -> str:
        """``change_text(line, before, self)``; within a batch only the level's ``reserved``
        and ``available`` move, so the rest of the text is made once."""
        if self._text is None:
            self._text = change_text_parts(line, self)
        return join_change_text(self._text, before, self)


def stock_rows(
    hold: ExpressHold, of_product: dict[int, list[BatchLevel]]
) -> list[tuple[int, int, int]]:
    """(location id, product id, available) of the hold's stocked levels, as they are now."""
    return [
        (level.location_id, level.product_id, level.available)
        for pid in hold.product_ids
        for level in of_product.get(pid, ())
        if level.available > 0
    ]


class BatchPlans:
    """A batch's levels and sourcing: the planner, or what it planned for the same request
    just before.

    The planner holds a cart at the nearest eligible location that has all of it. Within a
    batch stock only goes down, so when the previous identical request (same lines, method,
    destination or pickup location) was held whole at one location that still has all of it,
    the planner would choose it again: the nearer locations had too little then and have no
    more now. Eligibility rules from plugins see the candidates' stock, so with any of them
    every hold is planned afresh.
    """

    def __init__(self, levels: Sequence[BatchLevel]) -> None:
        self.levels: dict[tuple[int, int], BatchLevel] = {}
        self.of_product: dict[int, list[BatchLevel]] = {}
        for level in levels:
            self.levels[(level.location_id, level.product_id)] = level
            self.of_product.setdefault(level.product_id, []).append(level)
        self._last: dict[tuple[object, ...], list[ReservedLine]] = {}

    def lines(self, hold: ExpressHold, catalog: CatalogCache) -> list[ReservedLine]:
        # The fingerprint names the lines, method, pickup location and destination (to a
        # metre); the destination itself is the one planned from.
        destination = hold.destination
        key = (hold.fingerprint, destination.latitude, destination.longitude, id(catalog))
        last = self._last.get(key) if not hold.rules else None
        if last is not None and all(
            self.levels[(line.location_id, line.product_id)].available >= line.quantity
            for line in last
        ):
            return last
        lines = hold.source(stock_rows(hold, self.of_product), catalog)
        if not hold.rules and len({line.location_id for line in lines}) == 1:
            self._last[key] = lines
        return lines


@dataclass(slots=True)
class Held:
    view: ReservationView
    # The last outbox event of the batch that wrote the hold (0 when it wrote none).
    last_event_id: int


async def hold_on_postgres(services: Services, hold: ExpressHold) -> Held:
    if services.hold_batcher is None:
        from omnigraph.services.express_holds_postgres import HoldBatcher

        services.hold_batcher = HoldBatcher(services.db, services.catalog)
    return await services.hold_batcher.hold(hold)


def hold_on_sqlite(services: Services, hold: ExpressHold) -> Awaitable[Held]:
    """The hold written by the SQLite writer with the holds queued beside it (awaited by the
    caller itself: a hold resumes through one coroutine frame fewer)."""
    return services.db.sqlite_writer.run_batched(
        express_holds_sqlite.write_holds, (hold, services.catalog)
    )


async def reserve(services: Services, request: ReservationRequest) -> ReservationView:
    """Hold stock the express way, or raise ``NotExpress`` having written nothing."""
    hold = await prepare(services, request)
    if services.db.is_sqlite:
        try:
            held = await hold_on_sqlite(services, hold)
        except StaleLocations as stale:  # stock at locations the catalogue has yet to load
            await services.catalog.load_locations(stale.location_ids)
            held = await hold_on_sqlite(services, hold)
    else:
        held = await hold_on_postgres(services, hold)
    # The holds of one batch share its last event: the first of them to resume announces it.
    if held.last_event_id > services.broker.latest_id:
        await services.broker.announce(held.last_event_id)
    return held.view


# At the end: the batches use what this module defines (an import inside ``hold_on_sqlite``
# would cost every hold the import machinery).
from omnigraph.services import express_holds_sqlite  # noqa: E402
