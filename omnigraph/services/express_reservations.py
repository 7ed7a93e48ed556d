"""The express path of a checkout hold, for the request a flash sale is made of.

Most holds are a new cart with no hold of the same SKUs waiting to expire. Such a hold needs
no ORM and no read-then-write transaction: it reads the stock, sources it with the same
planner as every other hold, and writes the hold, its levels, ledger and events with a few
prepared statements.

- On SQLite the whole hold is one job of the writer thread (``db.sqlite_writer``): the read,
  the channel exposure and protected-stock checks and the write sit in one serialised
  transaction, committed with the other holds queued beside it.
- On PostgreSQL the holds queued in this process while one batch is written form the next
  batch, written in one transaction (``express_holds_postgres``): the hot level's row lock
  is taken once per batch, not once per hold. A selling rule needs the products locked
  across read and write (``ruled_and_locked``), so those holds go the general way there.

Anything else (a cart replacing its hold, an invalid request) raises ``NotExpress`` before
writing, and ``reservations`` takes the general path. Both paths write the same rows,
ledger movements and ``inventory.changed`` events.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from omnigraph.domain import stock_rules as rules
from omnigraph.domain.errors import DomainError
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.orders import line_problems
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
from omnigraph.services.stock_rules import SellingRules

if TYPE_CHECKING:
    from omnigraph.services.core import Services

_ACTIVE = ReservationStatus.ACTIVE.value
_BUCKET = InventoryBucket.RESERVED.value
_REASON = MovementReason.RESERVATION.value
_TOPIC = Topic.INVENTORY_CHANGED.value
# A lost race on PostgreSQL sources again from fresh stock; the bound only stops a livelock.
MAX_ATTEMPTS = 100


class NotExpress(Exception):
    """The request needs the general path: it replaces a hold, meets a rule, or is invalid."""


class StaleLocations(Exception):
    """Stock sits at locations the catalogue cache has not loaded yet."""

    def __init__(self, location_ids: set[int]) -> None:
        super().__init__(sorted(location_ids))
        self.location_ids = location_ids


class _Contended(Exception):
    """A concurrent buyer took the planned units between the read and the write."""


@dataclass(frozen=True, slots=True)
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

    @property
    def product_ids(self) -> list[int]:
        return sorted(product.id for product in self.products.values())

    @property
    def categories(self) -> list[str]:
        return sorted({product.category for product in self.products.values()})

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


async def prepare(services: Services, request: ReservationRequest) -> ExpressHold:
    """Check the request against the cached catalogue; ``NotExpress`` for anything the
    general path must look at (including every invalid request: it words the errors)."""
    catalog = services.catalog
    skus = [line.sku for line in request.lines]
    products = await catalog.products(skus)
    method = reservation_method(request.method, request.pickup_location_id)
    if (
        len(products) != len(set(skus))
        or cart_id_problems(request.cart_id)
        or line_problems(request.lines, products)
        or placement_problems(method, request.destination, request.pickup_location_id)
    ):
        raise NotExpress
    try:
        ttl = reservation_ttl(request.ttl_seconds)
    except DomainError as error:
        raise NotExpress from error
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
    return ExpressHold(
        request=request,
        method=method,
        products=products,
        destination=destination,
        fingerprint=request_fingerprint(
            request.lines, method, request.destination, request.pickup_location_id
        ),
        now=now,
        expires_at=now + ttl,
        rules=services.sourcing_rules,
    )


def change_of(line: ReservedLine, before: StockLevel, after: StockLevel) -> dict[str, Any]:
    """The ``inventory.changed`` payload of holding ``line``."""
    return change_payload(line.location_id, line.product_id, line.sku, before, after, _REASON)


def _payload(line: ReservedLine, after: StockLevel) -> dict[str, Any]:
    before = dataclasses.replace(after, reserved=after.reserved - line.quantity)
    return change_of(line, before, after)


def hold_external_id(reservation_id: int) -> str:
    return f"reservation:{reservation_id}:hold"


# -- SQLite: one job of the writer thread ---------------------------------------------------


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _sqlite_time(moment: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime stores, so both paths' rows compare and sort alike.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_AVAILABLE = "on_hand - committed - reserved - safety_stock - damaged"
_SQLITE_EXPOSURE = (
    "SELECT r.id, r.percent, r.cap, r.product_id, r.category FROM channel_exposure_rules r"
    " JOIN channels c ON c.id = r.channel_id WHERE c.code = ?"
)
_SQLITE_PROTECTED = (
    "SELECT id, quantity, tiers, product_id, category FROM protected_stock_rules"
    " WHERE product_id IN ({ids}) OR category IN ({cats})"
)
_SQLITE_TIER = "SELECT tier FROM customers WHERE email = ?"
# Through the (status, expires_at) index: due holds are few, while the lines of a hot SKU
# grow with every checkout. The status is a literal so SQLite may use partial indexes.
_SQLITE_DUE = (
    f"SELECT 1 FROM reservations r WHERE r.status = '{_ACTIVE}' AND r.expires_at <= ?"
    " AND EXISTS (SELECT 1 FROM reservation_lines l WHERE l.reservation_id = r.id"
    " AND l.product_id IN ({ids})) LIMIT 1"
)
_SQLITE_STOCK = (
    f"SELECT location_id, product_id, {_AVAILABLE} FROM inventory_levels"
    f" WHERE product_id IN ({{ids}}) AND {_AVAILABLE} > 0"
)
_SQLITE_INSERT_HOLD = (
    "INSERT INTO reservations (cart_id, status, delivery_method, pickup_location_id,"
    " destination_latitude, destination_longitude, request_fingerprint, expires_at,"
    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_INSERT_LINE = (
    "INSERT INTO reservation_lines (reservation_id, location_id, product_id, quantity)"
    " VALUES (?, ?, ?, ?)"
)
_SQLITE_RESERVE = (
    "UPDATE inventory_levels SET reserved = reserved + ?, updated_at = ?"
    f" WHERE location_id = ? AND product_id = ? AND ? <= {_AVAILABLE}"
    " RETURNING id, on_hand, committed, reserved, safety_stock, damaged, incoming"
)
_SQLITE_INSERT_MOVEMENT = (
    "INSERT INTO inventory_movements (location_id, product_id, bucket, delta, reason, actor,"
    " source, external_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'omnigraph', ?, ?)"
)
_SQLITE_INSERT_EVENT = (
    "INSERT INTO outbox_events (topic, aggregate_type, aggregate_id, payload, actor,"
    " occurred_at) VALUES (?, 'inventory_level', ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class Held:
    view: ReservationView
    last_event_id: int


def _sqlite_selling_rules(db: sqlite3.Connection, hold: ExpressHold) -> SellingRules:
    """The channel's exposure rules and the protections of the hold's products."""
    channel = hold.request.channel
    exposure = (
        [
            rules.ExposureRule(rid, channel, percent, cap, product_id, category)
            for rid, percent, cap, product_id, category in db.execute(_SQLITE_EXPOSURE, (channel,))
        ]
        if channel is not None
        else []
    )
    ids, categories = hold.product_ids, hold.categories
    query = _SQLITE_PROTECTED.format(ids=_marks(len(ids)), cats=_marks(len(categories)))
    protected = [
        rules.ProtectedStockRule(
            rid,
            quantity,
            frozenset(rules.CustomerTier(tier) for tier in json.loads(tiers)),
            product_id,
            category,
        )
        for rid, quantity, tiers, product_id, category in db.execute(query, (*ids, *categories))
    ]
    return SellingRules(exposure, protected)


def _check_sellable(
    db: sqlite3.Connection,
    hold: ExpressHold,
    limits: SellingRules,
    stock_rows: Sequence[tuple[int, int, int]],
) -> None:
    """Refuse lines beyond what the channel may sell to this customer (as ``check_sellable``)."""
    email = hold.request.customer_email
    found = db.execute(_SQLITE_TIER, (email.strip().lower(),)).fetchone() if email else None
    tier = rules.CustomerTier(found[0]) if found and found[0] else rules.CustomerTier.STANDARD
    sku_of = {product.id: sku for sku, product in hold.products.items()}
    network: dict[str, int] = {}
    for _location_id, product_id, available in stock_rows:
        sku = sku_of[product_id]
        network[sku] = network.get(sku, 0) + int(available)
    facts = {sku: (p.id, p.category) for sku, p in hold.products.items()}
    problems = limits.problems(hold.request.channel, tier, hold.request.lines, facts, network)
    if problems:
        raise DomainError(problems)


def sqlite_job(hold: ExpressHold, catalog: CatalogCache) -> Callable[[sqlite3.Connection], Held]:
    """The hold as one writer-thread job: checks, stock read, plan and writes."""
    request = hold.request
    ids = hold.product_ids
    now = _sqlite_time(hold.now)

    def job(db: sqlite3.Connection) -> Held:
        due = _SQLITE_DUE.format(ids=_marks(len(ids)))
        if db.execute(due, (now, *ids)).fetchone():
            raise NotExpress
        rows = db.execute(_SQLITE_STOCK.format(ids=_marks(len(ids))), ids).fetchall()
        # The writer thread is the only writer, so rules checked here cannot be raced.
        limits = _sqlite_selling_rules(db, hold)
        if limits.any:
            _check_sellable(db, hold, limits, rows)
        lines = hold.source(rows, catalog)
        destination = request.destination
        try:
            inserted = db.execute(
                _SQLITE_INSERT_HOLD,
                (
                    request.cart_id,
                    _ACTIVE,
                    hold.method.value,
                    request.pickup_location_id,
                    destination.latitude if destination else None,
                    destination.longitude if destination else None,
                    hold.fingerprint,
                    _sqlite_time(hold.expires_at),
                    now,
                    now,
                ),
            )
        except sqlite3.IntegrityError as error:
            # The cart already has an active hold (the partial unique index): to be replaced
            # or extended, which the general path does.
            raise NotExpress from error
        reservation_id = inserted.lastrowid
        assert reservation_id is not None
        external_id = hold_external_id(reservation_id)
        last_event_id = 0
        for line in lines:
            db.execute(
                _SQLITE_INSERT_LINE,
                (reservation_id, line.location_id, line.product_id, line.quantity),
            )
            level = db.execute(
                _SQLITE_RESERVE,
                (line.quantity, now, line.location_id, line.product_id, line.quantity),
            ).fetchone()
            if level is None:  # the writer thread is the only writer: the read still holds
                raise RuntimeError("stock changed inside the writer's own transaction")
            db.execute(
                _SQLITE_INSERT_MOVEMENT,
                (
                    line.location_id,
                    line.product_id,
                    _BUCKET,
                    line.quantity,
                    _REASON,
                    request.actor,
                    external_id,
                    now,
                ),
            )
            payload = _payload(line, StockLevel(*level[1:]))
            last_event_id = (
                db.execute(
                    _SQLITE_INSERT_EVENT,
                    (_TOPIC, level[0], json.dumps(payload), request.actor, now),
                ).lastrowid
                or last_event_id
            )
        return Held(hold.view(reservation_id, lines), last_event_id)

    return job


# -- PostgreSQL: batches of holds (``express_holds_postgres``) ------------------------------


async def hold_on_postgres(services: Services, hold: ExpressHold) -> Held:
    if services.hold_batcher is None:
        from omnigraph.services.express_holds_postgres import HoldBatcher

        services.hold_batcher = HoldBatcher(services.db, services.catalog)
    return await services.hold_batcher.hold(hold)


async def hold_on_sqlite(services: Services, hold: ExpressHold) -> Held:
    writer = services.db.sqlite_writer
    try:
        return await writer.run(sqlite_job(hold, services.catalog))
    except StaleLocations as stale:
        await services.catalog.load_locations(stale.location_ids)
        return await writer.run(sqlite_job(hold, services.catalog))


async def reserve(services: Services, request: ReservationRequest) -> ReservationView:
    """Hold stock the express way, or raise ``NotExpress`` having written nothing."""
    hold = await prepare(services, request)
    if services.db.is_sqlite:
        held = await hold_on_sqlite(services, hold)
    else:
        held = await hold_on_postgres(services, hold)
    if held.last_event_id:
        await services.broker.announce(held.last_event_id)
    return held.view
