"""Express holds on SQLite, a batch at a time: what a group commit of holds shares, done once.

The writer thread (``db.sqlite_writer``) hands ``write_holds`` every hold queued while it ran
its last batch, inside one serialised transaction (the thread is this process's only SQLite
writer, and the batch holds the database's write gate):

1. one read each for what the holds share: due holds of their products, carts that already
   hold stock, the stocked levels of their products, and the selling rules of their channels
   and products (with the customer tiers those rules need);
2. each hold checked and sourced in queue order from the levels as the holds before it left
   them (the same planner and selling-rule arithmetic as every hold), so no two holds count
   the same unit; a hold that no longer fits is refused alone (``INSUFFICIENT_STOCK`` and the
   rest), a hold the general path must see (its cart holds stock, a due hold of its SKUs
   waits to be expired) is handed back with ``NotExpress``, both having written nothing;
3. the rows, a multi-row INSERT per table (a few for a large batch) and an UPDATE of the
   levels' ``reserved`` (once per level): the holds, their lines, the ledger movements and
   the ``inventory.changed`` events, each event with its level as that hold left it, so the
   rows are those the holds would have written one by one.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from omnigraph.domain import stock_rules as rules
from omnigraph.domain.errors import DomainError
from omnigraph.services.catalog_cache import CatalogCache
from omnigraph.services.express_reservations import (
    ACTIVE,
    BUCKET,
    REASON,
    TOPIC,
    BatchLevel,
    BatchPlans,
    ExpressHold,
    Held,
    NotExpress,
    StaleLocations,
    hold_external_id,
    stock_rows,
)
from omnigraph.services.reservation_views import ReservedLine
from omnigraph.services.stock_rules import SellingRules

_AVAILABLE = "on_hand - committed - reserved - safety_stock - damaged"
# Through the (status, expires_at) index: due holds are few, while the lines of a hot SKU
# grow with every checkout (CROSS JOIN keeps SQLite from starting at the lines). The status
# is a literal so SQLite may use partial indexes; ``+l.product_id`` reads a due hold's lines
# by hold, never by product.
_DUE = (
    "SELECT l.product_id, min(r.expires_at) FROM reservations r"
    " CROSS JOIN reservation_lines l ON l.reservation_id = r.id"
    f" WHERE r.status = '{ACTIVE}' AND r.expires_at <= ? AND +l.product_id IN ({{ids}})"
    " GROUP BY l.product_id"
)
# By cart (``+status``: not through the status index, which lists every active hold).
_HOLDING_CARTS = (
    f"SELECT cart_id FROM reservations WHERE cart_id IN ({{carts}}) AND +status = '{ACTIVE}'"
)
_LEVELS = (
    "SELECT id, location_id, product_id, on_hand, committed, reserved, safety_stock, damaged,"
    f" incoming FROM inventory_levels WHERE product_id IN ({{ids}}) AND {_AVAILABLE} > 0"
)
_EXPOSURE = (
    "SELECT r.id, c.code, r.percent, r.cap, r.product_id, r.category"
    " FROM channel_exposure_rules r JOIN channels c ON c.id = r.channel_id"
    " WHERE c.code IN ({channels})"
)
_PROTECTED = (
    "SELECT id, quantity, tiers, product_id, category FROM protected_stock_rules"
    " WHERE product_id IN ({ids}) OR category IN ({cats})"
)
_TIER = "SELECT tier FROM customers WHERE email = ?"
_NEXT_HOLD_ID = "SELECT coalesce(max(id), 0) + 1 FROM reservations"
# The inserts as (head, one row's values): a batch sends many rows in one statement.
_INSERT_HOLD = (
    "INSERT INTO reservations (id, cart_id, status, delivery_method, pickup_location_id,"
    " destination_latitude, destination_longitude, request_fingerprint, expires_at,"
    " created_at, updated_at) VALUES ",
    f"(?, ?, '{ACTIVE}', ?, ?, ?, ?, ?, ?, ?, ?)",
)
_INSERT_LINE = (
    "INSERT INTO reservation_lines (reservation_id, location_id, product_id, quantity) VALUES ",
    "(?, ?, ?, ?)",
)
# Still conditional: a level that moved under the batch fails it rather than oversell.
_RESERVE = (
    "UPDATE inventory_levels SET reserved = reserved + ?, updated_at = ?"
    f" WHERE id = ? AND ? <= {_AVAILABLE}"
)
_INSERT_MOVEMENT = (
    "INSERT INTO inventory_movements (location_id, product_id, bucket, delta, reason, actor,"
    " source, external_id, created_at) VALUES ",
    f"(?, ?, '{BUCKET}', ?, '{REASON}', ?, 'omnigraph', ?, ?)",
)
_INSERT_EVENT = (
    "INSERT INTO outbox_events (topic, aggregate_type, aggregate_id, payload, actor,"
    " occurred_at) VALUES ",
    f"('{TOPIC}', 'inventory_level', ?, ?, ?, ?)",
)
# Rows per INSERT statement at most: a few sizes recur (the writer's connection keeps their
# prepared statements), and 64 rows stay far below SQLite's limit on bound values.
ROWS_PER_INSERT = 64
_LAST_ROW = "SELECT last_insert_rowid()"

Item = tuple[ExpressHold, CatalogCache]
Answer = Held | Exception


def _marks(count: int) -> str:
    return ", ".join("?" * count)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# "YYYY-MM-DD HH:MM:SS." by whole second since the epoch: a batch's holds share a few seconds,
# and ``isoformat`` costs more than the rest of the text of a hold row together.
_SECOND_TEXTS: dict[int, str] = {}
_MAX_SECOND_TEXTS = 4096


def sqlite_time(moment: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores, so both paths' rows compare and sort alike:
    ``moment.astimezone(UTC).isoformat(" ", "microseconds")`` without the "+00:00"."""
    since = moment - _EPOCH  # exact, in whole days, seconds and microseconds
    second = since.days * 86_400 + since.seconds
    prefix = _SECOND_TEXTS.get(second)
    if prefix is None:
        if len(_SECOND_TEXTS) >= _MAX_SECOND_TEXTS:
            _SECOND_TEXTS.clear()
        whole = _EPOCH + timedelta(seconds=second)
        prefix = _SECOND_TEXTS[second] = whole.isoformat(" ")[:19] + "."
    return f"{prefix}{since.microseconds:06d}"


@dataclass(slots=True)
class _Rules:
    """The selling rules of a batch's channels and products, and the tiers asked so far."""

    exposure: dict[str, list[rules.ExposureRule]]
    protected: list[rules.ProtectedStockRule]
    tiers: dict[str, rules.CustomerTier]
    exist: bool  # any rule at all: most batches meet none

    @classmethod
    def read(
        cls, db: sqlite3.Connection, holds: Sequence[ExpressHold], product_ids: list[int]
    ) -> _Rules:
        channels = sorted({h.request.channel for h in holds if h.request.channel is not None})
        exposure: dict[str, list[rules.ExposureRule]] = {}
        if channels:
            query = _EXPOSURE.format(channels=_marks(len(channels)))
            for rid, code, percent, cap, product_id, category in db.execute(query, channels):
                exposure.setdefault(code, []).append(
                    rules.ExposureRule(rid, code, percent, cap, product_id, category)
                )
        categories = sorted({c for hold in holds for c in hold.categories})
        query = _PROTECTED.format(ids=_marks(len(product_ids)), cats=_marks(len(categories)))
        protected = [
            rules.ProtectedStockRule(
                rid,
                quantity,
                frozenset(rules.CustomerTier(tier) for tier in json.loads(tiers)),
                product_id,
                category,
            )
            for rid, quantity, tiers, product_id, category in db.execute(
                query, (*product_ids, *categories)
            )
        ]
        return cls(exposure, protected, {}, bool(exposure or protected))

    def of(self, hold: ExpressHold) -> SellingRules:
        """The rules the hold's channel and products meet."""
        channel = hold.request.channel
        exposure = self.exposure.get(channel, []) if channel is not None else []
        protected = self.protected
        if protected:
            ids, categories = set(hold.product_ids), set(hold.categories)
            protected = [r for r in protected if r.product_id in ids or r.category in categories]
        return SellingRules(exposure, protected)

    def tier(self, db: sqlite3.Connection, email: str | None) -> rules.CustomerTier:
        if not email:
            return rules.CustomerTier.STANDARD
        key = email.strip().lower()
        if key not in self.tiers:
            found = db.execute(_TIER, (key,)).fetchone()
            known = found is not None and bool(found[0])
            self.tiers[key] = rules.CustomerTier(found[0]) if known else rules.CustomerTier.STANDARD
        return self.tiers[key]


def _check_sellable(
    hold: ExpressHold,
    limits: SellingRules,
    tier: rules.CustomerTier,
    stock_rows: Sequence[tuple[int, int, int]],
) -> None:
    """Refuse lines beyond what the channel may sell to this customer (as ``check_sellable``)."""
    sku_of = {product.id: sku for sku, product in hold.products.items()}
    network: dict[str, int] = {}
    for _location_id, product_id, available in stock_rows:
        sku = sku_of[product_id]
        network[sku] = network.get(sku, 0) + available
    facts = {sku: (p.id, p.category) for sku, p in hold.products.items()}
    problems = limits.problems(hold.request.channel, tier, hold.request.lines, facts, network)
    if problems:
        raise DomainError(problems)


@dataclass(slots=True)
class _Written:
    """A hold the batch writes: where its answer goes, and what it holds."""

    index: int
    hold: ExpressHold
    now: str
    lines: list[ReservedLine]


def write_holds(db: sqlite3.Connection, items: list[Item]) -> list[Answer]:
    """Check, source and write a batch of holds in queue order (``sqlite_writer`` batch job)."""
    holds = [hold for hold, _ in items]
    times = [sqlite_time(hold.now) for hold in holds]
    product_ids = sorted({pid for hold in holds for pid in hold.product_ids})
    ids = _marks(len(product_ids))
    due = dict(db.execute(_DUE.format(ids=ids), (max(times), *product_ids)).fetchall())
    carts = sorted({hold.request.cart_id for hold in holds})
    holding = {
        cart for (cart,) in db.execute(_HOLDING_CARTS.format(carts=_marks(len(carts))), carts)
    }
    plans = BatchPlans(
        [BatchLevel(*row) for row in db.execute(_LEVELS.format(ids=ids), product_ids)]
    )
    levels, of_product = plans.levels, plans.of_product
    limits = _Rules.read(db, holds, product_ids)
    answers: list[Answer | None] = []
    written: list[_Written] = []
    events: list[tuple[int, str, str | None, str]] = []
    for (hold, catalog), now in zip(items, times, strict=True):
        request = hold.request
        if request.cart_id in holding or (
            due and any(pid in due and due[pid] <= now for pid in hold.product_ids)
        ):
            # The cart's hold is replaced or extended, a due hold is expired first: both the
            # general path's job.
            answers.append(NotExpress())
            continue
        try:
            if limits.exist:
                selling = limits.of(hold)
                if selling.any:
                    tier = limits.tier(db, request.customer_email)
                    _check_sellable(hold, selling, tier, stock_rows(hold, of_product))
            lines = plans.lines(hold, catalog)
        except (DomainError, StaleLocations) as refused:  # this hold alone
            answers.append(refused)
            continue
        holding.add(request.cart_id)
        for line in lines:
            level = levels[(line.location_id, line.product_id)]
            available = level.take(line.quantity)
            level.updated_at = now
            events.append((level.id, level.change_text(line, available), request.actor, now))
        written.append(_Written(len(answers), hold, now, lines))
        answers.append(None)
    if not written:
        return [answer for answer in answers if answer is not None]
    first_id = db.execute(_NEXT_HOLD_ID).fetchone()[0]
    taken = [level for level in levels.values() if level.taken]
    try:
        last_event_id = _write(db, first_id, written, taken, events)
    except sqlite3.IntegrityError as error:
        if len(items) == 1:  # a cart given a hold since the read: the general path's job
            raise NotExpress from error
        raise  # the writer runs each hold of the batch alone
    for number, entry in enumerate(written):
        answers[entry.index] = Held(entry.hold.view(first_id + number, entry.lines), last_event_id)
    return [answer for answer in answers if answer is not None]


@functools.lru_cache(maxsize=512)
def _insert_text(insert: tuple[str, str], rows: int) -> str:
    head, row = insert
    return head + ", ".join([row] * rows)


def _insert(
    db: sqlite3.Connection, insert: tuple[str, str], width: int, values: list[object]
) -> None:
    """Insert the rows of ``values`` (``width`` values each, in order) with multi-row INSERTs:
    SQLite inserts a statement's rows in one step, against a step (and a trip from Python)
    per row with ``executemany``."""
    total = len(values) // width
    done = 0
    while done < total:
        rows = min(ROWS_PER_INSERT, total - done)
        chunk = values if rows == total else values[done * width : (done + rows) * width]
        db.execute(_insert_text(insert, rows), chunk)
        done += rows


def _write(
    db: sqlite3.Connection,
    first_id: int,
    written: list[_Written],
    taken: list[BatchLevel],
    events: list[tuple[int, str, str | None, str]],
) -> int:
    """The batch's rows, a statement or a few per table; returns the id of its last event."""
    holds: list[object] = []
    lines: list[object] = []
    movements: list[object] = []
    for number, entry in enumerate(written):
        reservation_id = first_id + number
        hold, request, now = entry.hold, entry.hold.request, entry.now
        destination = request.destination
        holds += (
            reservation_id,
            request.cart_id,
            hold.method.value,
            request.pickup_location_id,
            destination.latitude if destination else None,
            destination.longitude if destination else None,
            hold.fingerprint,
            sqlite_time(hold.expires_at),
            now,
            now,
        )
        external_id = hold_external_id(reservation_id)
        for line in entry.lines:
            lines += (reservation_id, line.location_id, line.product_id, line.quantity)
            movements += (
                line.location_id,
                line.product_id,
                line.quantity,
                request.actor,
                external_id,
                now,
            )
    _insert(db, _INSERT_HOLD, 10, holds)
    _insert(db, _INSERT_LINE, 4, lines)
    moved = db.executemany(
        _RESERVE,
        [(level.taken, level.updated_at, level.id, level.taken) for level in taken],
    )
    if moved.rowcount != len(taken):  # the writer thread is the only writer: the read holds
        raise RuntimeError("stock changed inside the writer's own transaction")
    _insert(db, _INSERT_MOVEMENT, 6, movements)
    _insert(db, _INSERT_EVENT, 4, [value for event in events for value in event])
    last_event_id: int = db.execute(_LAST_ROW).fetchone()[0]
    return last_event_id
