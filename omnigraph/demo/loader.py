"""Bulk-loading a generated network: chunked executemany, one transaction, explicit ids.

This bypasses the inventory services on purpose: a million levels one unit of work at a
time would take hours. It keeps their promise all the same: every nonzero quantity gets
one ``INITIAL_LOAD`` ledger movement, so the ledger sums reproduce the levels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import Dialect, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from omnigraph.db.engine import Database
from omnigraph.db.models import (
    Base,
    Channel,
    InventoryLevel,
    InventoryMovement,
    Location,
    Product,
    SafetyStockRule,
)
from omnigraph.demo.network import DemoNetwork
from omnigraph.demo.rows import LevelRow
from omnigraph.domain.vocabulary import InventoryBucket, MovementReason

# Rows per executemany call: large enough to amortise the round trip, small enough that
# the parameter dicts of one chunk stay a few megabytes.
CHUNK_ROWS = 10_000
SOURCE = "demo"
ACTOR = "demo-loader"
EXTERNAL_ID = "initial-load"

_TABLES = Base.metadata.tables
_CHANNELS = _TABLES[Channel.__tablename__]
_LOCATIONS = _TABLES[Location.__tablename__]
_PRODUCTS = _TABLES[Product.__tablename__]
_LEVELS = _TABLES[InventoryLevel.__tablename__]
_MOVEMENTS = _TABLES[InventoryMovement.__tablename__]
_SAFETY_RULES = _TABLES[SafetyStockRule.__tablename__]
_LOADED_TABLES = (_CHANNELS, _LOCATIONS, _PRODUCTS, _SAFETY_RULES, _LEVELS, _MOVEMENTS)
# The quantity states a freshly counted level can hold, each with its own ledger row.
_LOADED_BUCKETS = (
    (InventoryBucket.ON_HAND, LevelRow._fields.index("on_hand")),
    (InventoryBucket.SAFETY_STOCK, LevelRow._fields.index("safety_stock")),
    (InventoryBucket.DAMAGED, LevelRow._fields.index("damaged")),
    (InventoryBucket.INCOMING, LevelRow._fields.index("incoming")),
)


@dataclass(frozen=True, slots=True)
class LoadSummary:
    channels: int
    locations: int
    products: int
    inventory_levels: int
    inventory_movements: int


async def _has_rows(connection: AsyncConnection, table: Table) -> bool:
    return (await connection.execute(select(table.c.id).limit(1))).first() is not None


async def is_empty(db: Database) -> bool:
    """True when no channel, location or product exists yet: nothing a load would clash with."""
    async with db.engine.connect() as connection:
        for table in (_CHANNELS, _LOCATIONS, _PRODUCTS):
            if await _has_rows(connection, table):
                return False
    return True


@asynccontextmanager
async def _write_transaction(db: Database) -> AsyncIterator[AsyncConnection]:
    # On SQLite, queue behind (and hold off) the service layer's units of work.
    if db.write_gate is not None:
        await db.write_gate.acquire()
    try:
        async with db.engine.begin() as connection:
            yield connection
    finally:
        if db.write_gate is not None:
            db.write_gate.release()


Row = dict[str, Any]
T = TypeVar("T")


def _chunks(rows: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    chunk: list[T] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _safety_rules(levels: Sequence[LevelRow]) -> dict[int, int]:
    """Level id -> rule id: safety stock is owned by rules, so each level that keeps some
    gets its own SKU-at-location rule (the most specific kind)."""
    kept = (level.id for level in levels if level.safety_stock)
    return {level_id: rule_id for rule_id, level_id in enumerate(kept, start=1)}


def _safety_rule_dicts(
    levels: Sequence[LevelRow], rule_of: dict[int, int], counted_at: datetime
) -> Iterator[Row]:
    for level in levels:
        if level.id in rule_of:
            yield {
                "id": rule_of[level.id],
                "location_id": level.location_id,
                "product_id": level.product_id,
                "category": None,
                "location_type": None,
                "quantity": level.safety_stock,
                "starts_on": None,
                "ends_on": None,
                "created_at": counted_at,
            }


def _level_dicts(
    levels: Sequence[LevelRow], rule_of: dict[int, int], counted_at: datetime
) -> Iterator[Row]:
    for level in levels:
        yield {
            "id": level.id,
            "location_id": level.location_id,
            "product_id": level.product_id,
            "on_hand": level.on_hand,
            "committed": 0,
            "reserved": 0,
            "safety_stock": level.safety_stock,
            "safety_stock_rule_id": rule_of.get(level.id),
            "damaged": level.damaged,
            "incoming": level.incoming,
            "incoming_expected_at": level.incoming_expected_at,
            "updated_at": counted_at,
        }


def _movement_dicts(levels: Sequence[LevelRow], counted_at: datetime) -> Iterator[Row]:
    """One INITIAL_LOAD movement per nonzero quantity state, ids from 1 in level order."""
    movement_id = 0
    for level in levels:
        for bucket, position in _LOADED_BUCKETS:
            quantity = level[position]
            if quantity:
                movement_id += 1
                yield {
                    "id": movement_id,
                    "location_id": level.location_id,
                    "product_id": level.product_id,
                    "bucket": bucket.value,
                    "delta": quantity,
                    "reason": MovementReason.INITIAL_LOAD.value,
                    "actor": ACTOR,
                    "source": SOURCE,
                    "external_id": EXTERNAL_ID,
                    "order_id": None,
                    "note": None,
                    "created_at": counted_at,
                }


async def _insert(connection: AsyncConnection, table: Table, rows: Iterable[Row]) -> int:
    count = 0
    statement = insert(table)
    for chunk in _chunks(rows):
        await connection.execute(statement, chunk)
        count += len(chunk)
    return count


def _driver_statement(
    table: Table, dialect: Dialect, keys: Sequence[str]
) -> tuple[str, tuple[str, ...]] | None:
    """``insert(table)`` for rows with ``keys``, compiled for the driver, with its parameter
    order; None if the driver's parameters are named, or if a column the rows leave out has
    a Python-side default (only Core's own executemany computes those)."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    if not compiled.positional or compiled.positiontup is None:
        return None
    if not set(compiled.positiontup) <= set(keys):
        return None
    return compiled.string, tuple(compiled.positiontup)


def _driver_rows(
    table: Table, dialect: Dialect, names: Sequence[str], rows: Iterable[Row]
) -> Iterator[tuple[Any, ...]]:
    """Rows in the driver's own form: each column's bind processing, once per distinct value."""
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    memos: list[dict[Any, Any]] = [{} for _ in names]
    for row in rows:
        values = []
        for name, process, memo in zip(names, processors, memos, strict=True):
            value = row[name]
            if process is not None and value is not None:
                if value not in memo:
                    memo[value] = process(value)
                value = memo[value]
            values.append(value)
        yield tuple(values)


async def _bulk_insert(connection: AsyncConnection, table: Table, rows: Iterable[Row]) -> int:
    """``_insert`` for the million-row tables, three to four times as fast.

    Core's executemany converts every parameter of every row, and the timestamps (one per
    row, all alike) cost most of it. Here the same INSERT, compiled once, goes straight to
    the driver's executemany with values converted once per distinct value. Where that
    cannot be done faithfully (see ``_driver_statement``) the ordinary path is taken.
    """
    remaining = iter(rows)
    first = next(remaining, None)
    if first is None:
        return 0
    every = chain([first], remaining)
    statement = _driver_statement(table, connection.dialect, tuple(first))
    if statement is None:
        return await _insert(connection, table, every)
    sql, names = statement
    count = 0
    for chunk in _chunks(_driver_rows(table, connection.dialect, names, every)):
        await connection.exec_driver_sql(sql, chunk)
        count += len(chunk)
    return count


async def _advance_sequences(connection: AsyncConnection, tables: Sequence[Table]) -> None:
    """PostgreSQL sequences do not see explicit ids; move them past the loaded ones so the
    services' own inserts (orders' ledger movements, new levels) do not collide."""
    for table in tables:
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            )
        )


async def load_network(db: Database, network: DemoNetwork) -> LoadSummary:
    """Insert ``network`` into an empty database in one transaction; all or nothing.

    Raises ``ValueError`` if channels, locations or products already exist: the explicit
    ids would collide, and a second copy of the demo is never what anyone wants.
    """
    counted_at = network.spec.counted_at
    async with _write_transaction(db) as connection:
        for table in (_CHANNELS, _LOCATIONS, _PRODUCTS):
            if await _has_rows(connection, table):
                raise ValueError(f"cannot load the demo: table {table.name} already has rows")
        insert_rows = partial(_insert, connection)
        channels = await insert_rows(_CHANNELS, (asdict(row) for row in network.channels))
        locations = await insert_rows(_LOCATIONS, (asdict(row) for row in network.locations))
        products = await insert_rows(_PRODUCTS, (asdict(row) for row in network.products))
        rule_of = _safety_rules(network.levels)
        await insert_rows(_SAFETY_RULES, _safety_rule_dicts(network.levels, rule_of, counted_at))
        levels = await _bulk_insert(
            connection, _LEVELS, _level_dicts(network.levels, rule_of, counted_at)
        )
        movements = await _bulk_insert(
            connection, _MOVEMENTS, _movement_dicts(network.levels, counted_at)
        )
        if connection.dialect.name == "postgresql":
            await _advance_sequences(connection, _LOADED_TABLES)
    return LoadSummary(channels, locations, products, levels, movements)
