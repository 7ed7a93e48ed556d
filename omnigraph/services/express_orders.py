"""The express path of order capture on SQLite, for the orders a busy storefront is made of.

Most orders are a delivery of known SKUs on a channel without selling rules, sourced from
stock on hand. Such an order is planned outside the write lock, the way a promise is: its
channel, customer and products are read in a read session, its stock, today's order counts
and incoming supply come from the stock snapshot, and the same sourcing engine decides.
The writer thread (``db.sqlite_writer``) then checks, in the order's own SAVEPOINT, what
the plan relied on and may have changed since, and writes the order with prepared
statements, committed together with the jobs queued beside it:

- no order has the request's idempotency key on its channel, and no due hold of its SKUs
  waits to be expired;
- every planned level still has the units, and still as many as the method's minimum-stock
  threshold for that location asks (one conditional UPDATE each);
- every chosen location with a daily capacity still has room today.

Stock the snapshot did not see yet can only have left the other locations too (the plan
stays the cheapest of what is still there) or arrived since (the plan is the cheapest of
what was there when it was read), as for any order sourced a moment before another
commits. The rows, ledger movements and events are those the general path writes (a test
compares them column by column).

Anything else raises ``NotExpress`` before anything is written and ``orders.create_order``
takes the general path: a pickup, a conversion of a hold, goods carried out, a requested
date or a backorder, selling rules of the channel or products, an invalid request (the
general path words the errors), and a plan whose stock moved (after ``STALE_ATTEMPTS``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from omnigraph.db.mapping import price_of
from omnigraph.db.models import (
    Channel,
    Customer,
    FulfillmentOrder,
    FulfillmentOrderLine,
    InventoryMovement,
    Order,
    OrderLine,
    OrderSourcingDecision,
    OutboxEvent,
    Product,
    TimelineEntry,
)
from omnigraph.db.raw_rows import insert_rows, insert_values, new_row, read_rows
from omnigraph.domain.errors import DomainError
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.orders import (
    OrderRequest,
    OrderTotals,
    PricedLine,
    order_totals,
    price_lines,
)
from omnigraph.domain.vocabulary import (
    FulfillmentKind,
    FulfillmentStatus,
    InventoryBucket,
    MovementReason,
)
from omnigraph.events.types import Topic
from omnigraph.services.capture_facts import customer_email
from omnigraph.services.capture_rows import new_order, order_created_payload
from omnigraph.services.catalog_cache import ProductFacts
from omnigraph.services.express_holds_sqlite import sqlite_time
from omnigraph.services.fulfilment_orders import fulfilment_created_payload
from omnigraph.services.inventory import change_payload
from omnigraph.services.network import stocked_locations
from omnigraph.services.order_sourcing import quote_request, validate_request
from omnigraph.services.promise import MethodQuote
from omnigraph.services.sourcing import NOT_COUNTED, load_inputs, local_midnights
from omnigraph.services.sourcing_trace import DecisionPart, decision_values
from omnigraph.services.timeline import Subject

if TYPE_CHECKING:
    from omnigraph.services.core import Services
    from omnigraph.services.orders import WrittenRows

# A plan whose stock another order took first is planned again from the snapshot, which
# that order's events have updated by then; after this many, the general path decides.
STALE_ATTEMPTS = 3

_AVAILABLE = "on_hand - committed - reserved - safety_stock - damaged"
_REPLAYED = "SELECT 1 FROM orders WHERE channel_id = ? AND idempotency_key = ?"
_CUSTOMER = "SELECT id FROM customers WHERE email = ?"
_CHANNEL = (
    "SELECT c.id, EXISTS (SELECT 1 FROM channel_exposure_rules r WHERE r.channel_id = c.id)"
    " FROM channels c WHERE c.code = ?"
)
_PROTECTED = (
    "SELECT 1 FROM protected_stock_rules"
    " WHERE product_id IN ({ids}) OR category IN ({categories}) LIMIT 1"
)
# From the due holds to their lines by hold (``+l.product_id``: not through the product's
# index, whose lines of a hot SKU grow with every checkout).
_DUE_HOLD = (
    "SELECT 1 FROM reservations r CROSS JOIN reservation_lines l ON l.reservation_id = r.id"
    " WHERE r.status = 'ACTIVE' AND r.expires_at <= ? AND +l.product_id IN ({ids}) LIMIT 1"
)
# The threshold rides on the condition: the units must be there, and as many as the
# method's minimum stock for the location asks (``need`` >= the quantity).
_COMMIT = (
    "UPDATE inventory_levels SET committed = committed + ?, updated_at = ?"
    f" WHERE location_id = ? AND product_id = ? AND ? <= {_AVAILABLE}"
    " RETURNING id, on_hand, committed, reserved, safety_stock, damaged, incoming"
)
_FULFILMENT = "SELECT 1 FROM fulfillment_orders WHERE id = ?"
# The writer's connection keeps its day counts under this name (``WriterConnection.memo``);
# past this many (location, day) pairs they are dropped and counted again.
_DAY_COUNTS = "express_orders.day_counts"
_MAX_DAY_COUNTS = 4096
_ORDERS_TODAY = (
    "SELECT count(*) FROM fulfillment_orders WHERE location_id = ? AND created_at >= ?"
    " AND status NOT IN ({statuses})"
)


class NotExpress(Exception):
    """The order needs the general path; nothing was written."""


class StaleStock(NotExpress):
    """A planned level or location no longer has what the plan took from it."""


@dataclass(frozen=True, slots=True)
class _Taking:
    """One planned level: the units to commit, and how many must be available for it."""

    location_id: int
    product_id: int
    sku: str
    quantity: int
    need: int


@dataclass(frozen=True, slots=True)
class PreparedOrder:
    """An order planned outside the write lock, with what its writing must check."""

    request: OrderRequest
    products: dict[str, ProductFacts]
    quote: MethodQuote
    takings: tuple[_Taking, ...]  # in (location, product) order, as ``commit_stock``
    # (location id, the start of its local day, its daily capacity) of capped locations.
    capped: tuple[tuple[int, datetime, int], ...]
    now: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class Captured:
    order: Order
    written: WrittenRows
    first_event_id: int
    # (topic, payload) of the events written, in id order from ``first_event_id``.
    events: tuple[tuple[str, dict[str, Any]], ...]

    @property
    def last_event_id(self) -> int:
        return self.first_event_id + len(self.events) - 1


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the writer read of the order's channel, products and customer."""

    channel: Channel
    products: dict[str, Product]
    customer_id: int | None


def applies(services: Services, request: OrderRequest) -> bool:
    """Whether the request is of the kind the express path may take at all."""
    return (
        services.db.is_sqlite
        and request.reservation_id is None
        and not request.carried_out
        and request.requested_date is None
        and not request.method.is_collection
    )


async def prepare(services: Services, request: OrderRequest) -> PreparedOrder:
    """Source the order the way a promise is sourced (catalogue cache, stock snapshot);
    ``NotExpress`` for anything the general path must see."""
    skus = [line.sku for line in request.lines]
    products = await services.catalog.products(skus)
    if len(products) != len(set(skus)) or request.shipping_address is None:
        raise NotExpress  # the general path names what is missing
    destination = request.shipping_address.point
    if destination is None:
        raise NotExpress
    now = services.clock()
    snapshot = services.stock_snapshot
    async with services.db.read_session_on_demand() as session:
        stocked = await stocked_locations(session, products, services.catalog, snapshot)
        inputs = await load_inputs(session, services, stocked, products, now, snapshot)
    quote = await quote_request(
        services,
        request,
        products,  # type: ignore[arg-type]  # sourcing reads ids and weights only
        stocked,
        None,
        now,
        currency=services.settings.default_currency,
        inputs=inputs,
        backorders=True,
    )
    if not isinstance(quote, MethodQuote) or quote.decision.backorders:
        raise NotExpress  # refused (the general path words it) or waiting for supply
    policy = inputs.rules.policy_for(request.channel, request.method)
    facts_of = {item.location.id: item.location for item in stocked}
    takings = sorted(
        (
            _Taking(
                allocation.candidate.location_id,
                products[sku].id,
                sku,
                quantity,
                max(quantity, policy.min_stock.get(allocation.candidate.location_type, 0)),
            )
            for allocation in quote.plan.allocations
            for sku, quantity in allocation.quantities.items()
        ),
        key=lambda taking: (taking.location_id, taking.product_id),
    )
    capped_locations = [
        facts_of[lid]
        for lid in quote.plan.location_ids
        if lid in facts_of and facts_of[lid].daily_capacity > 0
    ]
    capped = tuple(
        (lid, start, facts_of[lid].daily_capacity)
        for start, ids in local_midnights(capped_locations, now).items()
        for lid in ids
    )
    return PreparedOrder(
        request=request,
        products=products,
        quote=quote,
        takings=tuple(takings),
        capped=capped,
        now=now,
        actor=f"channel:{request.channel}",
    )


def _read_facts(db: sqlite3.Connection, prepared: PreparedOrder, batch: _Batch) -> _Facts:
    """The channel, products and customer, checked as the general path checks them;
    ``NotExpress`` for an unknown channel or SKU, an invalid request, or selling rules.
    What the orders of a batch share is read once."""
    request = prepared.request
    if request.channel not in batch.channels:
        found = db.execute(_CHANNEL, (request.channel,)).fetchone()
        channel_row = read_rows(db, Channel, "id = ?", (found[0],))[0] if found else None
        batch.channels[request.channel] = (channel_row, bool(found and found[1]))
    channel, exposed = batch.channels[request.channel]
    if channel is None or exposed:
        raise NotExpress  # unknown, or with exposure rules
    skus = tuple(sorted(prepared.products))
    if skus not in batch.products:
        rows = {
            row.sku: row for row in read_rows(db, Product, f"sku IN ({_marks(len(skus))})", skus)
        }
        categories = sorted({row.category for row in rows.values()})
        protected = _PROTECTED.format(ids=_marks(len(rows)), categories=_marks(len(categories)))
        guarded = bool(
            rows
            and db.execute(protected, (*(row.id for row in rows.values()), *categories)).fetchone()
        )
        batch.products[skus] = (rows, guarded)
    products, guarded = batch.products[skus]
    if {sku: row.id for sku, row in products.items()} != {
        sku: facts.id for sku, facts in prepared.products.items()
    }:
        raise NotExpress  # a SKU not known (any more) as the catalogue cache knew it
    if guarded:
        raise NotExpress
    try:
        validate_request(request, channel, products, None)
    except DomainError as invalid:
        raise NotExpress from invalid
    email = customer_email(request.customer.email)
    known = batch.customers.get(email)
    if known is None:
        customer = db.execute(_CUSTOMER, (email,)).fetchone()
        known = customer[0] if customer is not None else None
    return _Facts(channel, products, known)


def _marks(count: int) -> str:
    return ", ".join("?" * count)


@dataclass(slots=True)
class _Batch:
    """What the orders of one writer batch share: the facts read so far, the customers
    found or created, the idempotency keys and the fulfilment orders placed by the orders
    before (their rows are written together after every order is checked)."""

    channels: dict[str, tuple[Channel | None, bool]]
    products: dict[tuple[str, ...], tuple[dict[str, Product], bool]]
    customers: dict[str, int]
    keys: set[tuple[int, str]]
    placed: dict[tuple[int, datetime], int]
    day_counts: _DayCounts | None


@dataclass(slots=True)
class _DayCounts:
    """Today's fulfilment orders at capped locations, kept on the writer's connection from
    one batch to the next: counting a busy location's day row by row for every order cost
    more with every order of the day.

    The counts are (location id, start of its local day) -> orders, as the writer's
    transactions left them. They are read again from the table when another connection has
    committed since (SQLite's ``data_version`` moved: the general path, another process,
    which may also have cancelled some), and when the last fulfilment order they count
    (``proof``) is not there: its transaction was rolled back after the counts took it in.
    Only this module writes fulfilment orders through the writer.
    """

    version: int
    proof: int | None = None
    counts: dict[tuple[int, datetime], int] = field(default_factory=dict)

    def today(self, db: sqlite3.Connection, location_id: int, day_start: datetime) -> int:
        key = (location_id, day_start)
        count = self.counts.get(key)
        if count is None:
            count = _count_today(db, location_id, day_start)
            self.counts[key] = count
        return count

    def took(self, placed: dict[tuple[int, datetime], int], last_fulfilment_id: int) -> None:
        """Count orders just written: ``placed`` is (location, start of the day the order
        was planned in) -> orders. An earlier day's count (a plan made just before
        midnight) counts them too, as its query would."""
        for (location_id, day_start), orders in placed.items():
            for key in self.counts:
                if key[0] == location_id and key[1] <= day_start:
                    self.counts[key] += orders
        self.proof = last_fulfilment_id


def _kept_day_counts(db: sqlite3.Connection) -> _DayCounts | None:
    """The counts kept on the writer's connection, or fresh ones when they may be wrong;
    None on any other connection."""
    memo: dict[str, Any] | None = getattr(db, "memo", None)
    if memo is None:
        return None
    version = db.execute("PRAGMA data_version").fetchone()[0]
    kept: _DayCounts | None = memo.get(_DAY_COUNTS)
    if (
        kept is None
        or kept.version != version
        or len(kept.counts) > _MAX_DAY_COUNTS
        or (kept.proof is not None and db.execute(_FULFILMENT, (kept.proof,)).fetchone() is None)
    ):
        kept = memo[_DAY_COUNTS] = _DayCounts(version)
    return kept


def _count_today(db: sqlite3.Connection, location_id: int, day_start: datetime) -> int:
    return int(db.execute(_ORDERS_TODAY_TEXT, (location_id, sqlite_time(day_start))).fetchone()[0])


@dataclass(slots=True)
class _Checked:
    """An order whose plan still holds, its stock taken: ready to be written."""

    prepared: PreparedOrder
    facts: _Facts
    customer_id: int
    levels: list[tuple[_Taking, tuple[int, ...]]]


def write_order(prepared: PreparedOrder, db: sqlite3.Connection) -> Captured:
    """One order through ``write_orders`` (a plain ``sqlite_writer`` job)."""
    (answer,) = write_orders(db, [prepared])
    if isinstance(answer, Exception):
        raise answer
    return answer


def write_orders(db: sqlite3.Connection, items: list[PreparedOrder]) -> list[Captured | Exception]:
    """Check each order in queue order against what the orders before it left, then write
    all that still hold with a multi-row INSERT per table (a ``sqlite_writer`` batch job).

    An order that no longer holds is answered with ``NotExpress`` or ``StaleStock`` having
    written nothing: its own checks run in a savepoint of their own.
    """
    batch = _Batch({}, {}, {}, set(), {}, _kept_day_counts(db))
    answers: list[Captured | Exception | None] = []
    checked: list[_Checked] = []
    for prepared in items:
        db.execute("SAVEPOINT express_order")
        try:
            item = _check(db, prepared, batch)
        except (NotExpress, sqlite3.IntegrityError) as refused:
            db.execute("ROLLBACK TO express_order")
            db.execute("RELEASE express_order")
            answers.append(NotExpress() if isinstance(refused, sqlite3.IntegrityError) else refused)
            continue
        db.execute("RELEASE express_order")
        checked.append(item)
        answers.append(None)
    captured = _write_all(db, checked)
    if batch.day_counts is not None and captured:
        last = max(row.id for item in captured for row in item.written.fulfilments)
        batch.day_counts.took(batch.placed, last)
    written = iter(captured)
    return [next(written) if answer is None else answer for answer in answers]


def _check(db: sqlite3.Connection, prepared: PreparedOrder, batch: _Batch) -> _Checked:
    """What the plan relied on, checked against the database as the orders before this one
    in the batch left it; the plan's stock taken."""
    request, now = prepared.request, prepared.now
    facts = _read_facts(db, prepared, batch)
    stamp = sqlite_time(now)
    key = request.idempotency_key
    if key is not None:
        if (facts.channel.id, key) in batch.keys or db.execute(
            _REPLAYED, (facts.channel.id, key)
        ).fetchone():
            raise NotExpress  # the general path answers with the first order
        batch.keys.add((facts.channel.id, key))
    product_ids = sorted(product.id for product in facts.products.values())
    if db.execute(_DUE_HOLD.format(ids=_marks(len(product_ids))), (stamp, *product_ids)).fetchone():
        raise NotExpress  # the general path expires it first
    for location_id, day_start, capacity in prepared.capped:
        if batch.day_counts is not None:
            today = batch.day_counts.today(db, location_id, day_start)
        else:
            today = _count_today(db, location_id, day_start)
        if today + batch.placed.get((location_id, day_start), 0) >= capacity:
            raise StaleStock
    levels: list[tuple[_Taking, tuple[int, ...]]] = []
    for taking in prepared.takings:
        row = db.execute(
            _COMMIT,
            (taking.quantity, stamp, taking.location_id, taking.product_id, taking.need),
        ).fetchone()
        if row is None:
            raise StaleStock
        levels.append((taking, row))
    email = customer_email(request.customer.email)
    customer_id = facts.customer_id or batch.customers.get(email)
    if customer_id is None:
        customer_id = _new_customer(db, request)
    batch.customers[email] = customer_id
    for location_id, day_start, _capacity in prepared.capped:
        batch.placed[(location_id, day_start)] = batch.placed.get((location_id, day_start), 0) + 1
    return _Checked(prepared, facts, customer_id, levels)


def _new_customer(db: sqlite3.Connection, request: OrderRequest) -> int:
    details = request.customer
    customer = Customer(email=customer_email(details.email), name=details.name, phone=details.phone)
    insert_rows(db, [customer])
    return customer.id


def _write_all(db: sqlite3.Connection, checked: list[_Checked]) -> list[Captured]:
    """The rows of every checked order, a multi-row INSERT per table for the whole batch:
    the same rows, in the same order, as each order written alone."""
    from omnigraph.services.orders import WrittenRows, stored_fingerprint

    if not checked:
        return []
    priced = [
        price_lines(
            item.prepared.request.lines,
            {sku: price_of(p) for sku, p in item.facts.products.items()},
        )
        for item in checked
    ]
    totals = [
        order_totals(lines, item.prepared.quote.price)
        for item, lines in zip(checked, priced, strict=True)
    ]
    orders = [
        new_order(
            item.prepared.request,
            item.facts.channel,
            item.customer_id,
            total,
            item.prepared.quote,
            stored_fingerprint(item.prepared.request),
            item.prepared.now,
        )
        for item, total in zip(checked, totals, strict=True)
    ]
    insert_rows(db, orders)
    insert_values(
        db,
        OrderSourcingDecision,
        [
            decision_values(
                order.id,
                [DecisionPart(item.prepared.quote.decision)],
                item.prepared.now,
                method=order.delivery_method,
            )
            for item, order in zip(checked, orders, strict=True)
        ],
    )
    lines = [
        {
            line.sku: new_row(
                OrderLine,
                order_id=order.id,
                line_number=index + 1,
                product_id=item.facts.products[line.sku].id,
                quantity=line.quantity,
                unit_price_minor=line.unit_price.minor,
            )
            for index, line in enumerate(order_lines)
        }
        for item, order, order_lines in zip(checked, orders, priced, strict=True)
    ]
    insert_rows(db, [line for by_sku in lines for line in by_sku.values()])
    fulfilments = [
        [
            new_row(
                FulfillmentOrder,
                order_id=order.id,
                location_id=allocation.candidate.location_id,
                kind=FulfillmentKind.SHIP.value,
                status=FulfillmentStatus.OPEN.value,
                distance_km=round(allocation.candidate.distance_km, 3),
                created_at=item.prepared.now,
                updated_at=item.prepared.now,
            )
            for allocation in item.prepared.quote.plan.allocations
        ]
        for item, order in zip(checked, orders, strict=True)
    ]
    insert_rows(db, [fo for of_order in fulfilments for fo in of_order])
    fulfilment_lines = [
        [
            new_row(
                FulfillmentOrderLine,
                fulfillment_order_id=fulfilment.id,
                order_line_id=by_sku[sku].id,
                quantity=quantity,
            )
            for fulfilment, allocation in zip(
                of_order, item.prepared.quote.plan.allocations, strict=True
            )
            for sku, quantity in allocation.quantities.items()
        ]
        for item, of_order, by_sku in zip(checked, fulfilments, lines, strict=True)
    ]
    insert_rows(db, [row for of_order in fulfilment_lines for row in of_order])
    insert_values(
        db,
        TimelineEntry,
        [
            entry
            for item, order, of_order in zip(checked, orders, fulfilments, strict=True)
            for entry in _capture_entries(
                order,
                of_order,
                item.prepared.actor,
                f"captured on {item.facts.channel.code}",
                item.prepared.now,
            )
        ],
    )
    insert_values(
        db,
        InventoryMovement,
        [
            {
                "location_id": taking.location_id,
                "product_id": taking.product_id,
                "bucket": InventoryBucket.COMMITTED.value,
                "delta": taking.quantity,
                "reason": MovementReason.COMMIT.value,
                "actor": item.prepared.actor,
                "source": "omnigraph",
                "external_id": None,
                "order_id": order.id,
                "note": None,
                "created_at": item.prepared.now,
            }
            for item, order in zip(checked, orders, strict=True)
            for taking, _row in item.levels
        ],
    )
    events = [
        _order_events(item, order, of_order, order_lines, total)
        for item, order, of_order, order_lines, total in zip(
            checked, orders, fulfilments, priced, totals, strict=True
        )
    ]
    event_ids = insert_values(db, OutboxEvent, [event for of_order in events for event in of_order])
    captured: list[Captured] = []
    first = 0
    for item, order, by_sku, of_order, of_lines, of_events in zip(
        checked, orders, lines, fulfilments, fulfilment_lines, events, strict=True
    ):
        captured.append(
            Captured(
                order,
                WrittenRows(
                    tuple(by_sku.values()),
                    tuple(of_order),
                    tuple(of_lines),
                    tuple(item.facts.products.values()),
                ),
                event_ids[first],
                tuple((event["topic"], event["payload"]) for event in of_events),
            )
        )
        first += len(of_events)
    return captured


def _order_events(
    item: _Checked,
    order: Order,
    fulfilments: list[FulfillmentOrder],
    priced: list[PricedLine],
    totals: OrderTotals,
) -> list[dict[str, Any]]:
    """The order's outbox rows, in the general path's order: each fulfilment order's
    ``fulfillment.created``, each level's ``inventory.changed``, then ``order.created``."""
    prepared = item.prepared
    actor, now, quote = prepared.actor, prepared.now, prepared.quote
    events = [
        _event(
            Topic.FULFILLMENT_CREATED,
            "fulfillment_order",
            fulfilment.id,
            fulfilment_created_payload(
                fulfilment.id,
                fulfilment.location_id,
                fulfilment.kind,
                fulfilment.status,
                allocation.quantities,
                None,
            ),
            order.id,
            actor,
            now,
        )
        for fulfilment, allocation in zip(fulfilments, quote.plan.allocations, strict=True)
    ]
    for taking, (level_id, *numbers) in item.levels:
        after = StockLevel(*numbers)
        before = after.with_quantity(InventoryBucket.COMMITTED, after.committed - taking.quantity)
        payload = change_payload(
            taking.location_id,
            taking.product_id,
            taking.sku,
            before,
            after,
            MovementReason.COMMIT.value,
        )
        events.append(
            _event(
                Topic.INVENTORY_CHANGED, "inventory_level", level_id, payload, order.id, actor, now
            )
        )
    payload = order_created_payload(
        order, item.facts.channel, prepared.request, totals, priced, quote.plan.location_ids
    )
    events.append(_event(Topic.ORDER_CREATED, "order", order.id, payload, order.id, actor, now))
    return events


def _event(
    topic: Topic,
    aggregate_type: str,
    aggregate_id: int,
    payload: dict[str, Any],
    order_id: int,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """An outbox row as ``UnitOfWork.record`` writes it."""
    return {
        "topic": topic.value,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "order_id": order_id,
        "payload": payload,
        "actor": actor,
        "occurred_at": now,
    }


def _capture_entries(
    order: Order, fulfilments: list[FulfillmentOrder], actor: str, reason: str, now: datetime
) -> list[dict[str, Any]]:
    """``timeline.record_capture``'s entries: the order's, then each fulfilment order's."""
    entry = {
        "order_id": order.id,
        "from_status": None,
        "actor": actor,
        "reason": reason,
        "occurred_at": now,
    }
    return [
        {
            **entry,
            "subject_type": Subject.ORDER.value,
            "subject_id": order.id,
            "to_status": order.status,
            "details": {},
        },
        *(
            {
                **entry,
                "subject_type": Subject.FULFILLMENT_ORDER.value,
                "subject_id": fulfilment.id,
                "to_status": fulfilment.status,
                "details": {"locationId": fulfilment.location_id},
            }
            for fulfilment in fulfilments
        ),
    ]


_ORDERS_TODAY_TEXT = _ORDERS_TODAY.format(statuses=", ".join(f"'{s}'" for s in NOT_COUNTED))


async def capture(services: Services, request: OrderRequest) -> Captured:
    """The order captured the express way, or ``NotExpress`` having written nothing."""
    for _ in range(STALE_ATTEMPTS):
        prepared = await prepare(services, request)
        try:
            captured = await services.db.sqlite_writer.run_batched(write_orders, prepared)
        except StaleStock:
            continue
        except sqlite3.IntegrityError as clash:  # a customer or key written meanwhile
            raise NotExpress from clash
        # The snapshot takes this order's stock and counts as written, not read back.
        services.stock_snapshot.committed_here(captured.first_event_id, captured.events)
        if captured.last_event_id > services.broker.latest_id:
            await services.broker.announce(captured.last_event_id)
        return captured
    raise NotExpress
