"""The raw baselines of ``inventory_write.py``: what the hardware does without omnigraph.

- SQLite: stdlib ``sqlite3`` with one writer thread and group commit. Callers put requests
  on a queue; the writer takes everything queued (up to ``MAX_BATCH``), runs each request's
  conditional UPDATE and the INSERT of its hold row inside one transaction, commits once for
  the batch, then answers every caller of the batch.
- PostgreSQL: ``asyncpg`` over a pool of 16 connections, one statement per reservation: a CTE
  whose conditional ``UPDATE ... RETURNING`` feeds the INSERT of the hold row, committed on
  its own (autocommit).

Both use a minimal schema of their own (``bench_levels``, ``bench_holds``): a level with the
same quantity columns and a unique (location, product) key, and a hold row per reservation.
A reservation succeeds only if ``available >= quantity`` at the moment of the UPDATE, so
neither can oversell; ``check`` verifies that the holds add up to the levels afterwards.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import queue
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

MAX_BATCH = 512
LOCATION_ID = 1

_SQLITE_SCHEMA = """
CREATE TABLE bench_levels (
    id INTEGER PRIMARY KEY,
    location_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    on_hand INTEGER NOT NULL,
    committed INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    safety_stock INTEGER NOT NULL DEFAULT 0,
    damaged INTEGER NOT NULL DEFAULT 0,
    UNIQUE (location_id, product_id)
);
CREATE TABLE bench_holds (
    id INTEGER PRIMARY KEY,
    level_id INTEGER NOT NULL REFERENCES bench_levels (id),
    quantity INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
"""
_PG_SCHEMA = """
CREATE TABLE bench_levels (
    id serial PRIMARY KEY,
    location_id integer NOT NULL,
    product_id integer NOT NULL,
    on_hand integer NOT NULL,
    committed integer NOT NULL DEFAULT 0,
    reserved integer NOT NULL DEFAULT 0,
    safety_stock integer NOT NULL DEFAULT 0,
    damaged integer NOT NULL DEFAULT 0,
    UNIQUE (location_id, product_id)
);
CREATE TABLE bench_holds (
    id bigserial PRIMARY KEY,
    level_id integer NOT NULL REFERENCES bench_levels (id),
    quantity integer NOT NULL,
    created_at timestamptz NOT NULL
);
"""
_AVAILABLE = "on_hand - committed - reserved - safety_stock - damaged"
_SQLITE_RESERVE = (
    "UPDATE bench_levels SET reserved = reserved + ?"
    f" WHERE location_id = ? AND product_id = ? AND {_AVAILABLE} >= ? RETURNING id"
)
_SQLITE_HOLD = "INSERT INTO bench_holds (level_id, quantity, created_at) VALUES (?, ?, ?)"
_PG_RESERVE = f"""
WITH moved AS (
    UPDATE bench_levels SET reserved = reserved + $3
    WHERE location_id = $1 AND product_id = $2 AND {_AVAILABLE} >= $3
    RETURNING id
)
INSERT INTO bench_holds (level_id, quantity, created_at)
SELECT id, $3, now() FROM moved
RETURNING id
"""
_TOTALS = (
    f"SELECT (SELECT coalesce(sum(reserved), 0) FROM bench_levels),"
    f" (SELECT coalesce(sum(quantity), 0) FROM bench_holds),"
    f" (SELECT count(*) FROM bench_levels WHERE {_AVAILABLE} < 0 OR reserved < 0)"
)


@dataclass(frozen=True, slots=True)
class Totals:
    reserved: int
    held: int
    negative_levels: int

    def problems(self, before: Totals, successes: int) -> list[str]:
        """Why these totals do not add up after ``successes`` one-unit holds (empty if they do)."""
        found = []
        if self.reserved - before.reserved != successes:
            found.append(f"reserved grew by {self.reserved - before.reserved}, not {successes}")
        if self.held != self.reserved:
            found.append(f"holds sum to {self.held} but levels reserve {self.reserved}")
        if self.negative_levels:
            found.append(f"{self.negative_levels} levels went below zero")
        return found


class GroupCommitWriter:
    """One thread owning one ``sqlite3`` connection; asyncio callers await ``reserve``."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._requests: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self.batches = 0
        self.requests = 0

    @staticmethod
    def create(path: Path, product_ids: Sequence[int], on_hand: int) -> None:
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SQLITE_SCHEMA)
            connection.executemany(
                "INSERT INTO bench_levels (location_id, product_id, on_hand) VALUES (?, ?, ?)",
                [(LOCATION_ID, pid, on_hand) for pid in product_ids],
            )
        connection.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._requests.put(None)
        self._thread.join()

    async def reserve(self, product_id: int, quantity: int) -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        self._requests.put((loop, answer, product_id, quantity))
        return await answer

    def totals(self) -> Totals:
        connection = sqlite3.connect(self._path)
        try:
            return Totals(*connection.execute(_TOTALS).fetchone())
        finally:
            connection.close()

    def _run(self) -> None:
        # isolation_level=None: we issue BEGIN and COMMIT ourselves, once per batch.
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        try:
            while True:
                first = self._requests.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._requests.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self._requests.put(None)
                        break
                    batch.append(item)
                self._apply(connection, batch)
        finally:
            connection.close()

    def _apply(self, connection: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
        now = dt.datetime.now(dt.UTC).isoformat()
        results: list[bool] = []
        connection.execute("BEGIN IMMEDIATE")
        for _loop, _answer, product_id, quantity in batch:
            row = connection.execute(
                _SQLITE_RESERVE, (quantity, LOCATION_ID, product_id, quantity)
            ).fetchone()
            if row is not None:
                connection.execute(_SQLITE_HOLD, (row[0], quantity, now))
            results.append(row is not None)
        connection.execute("COMMIT")
        self.batches += 1
        self.requests += len(batch)
        # One wake-up per event loop for the whole batch, not one per caller.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], bool]]] = {}
        for (loop, answer, _pid, _qty), ok in zip(batch, results, strict=True):
            by_loop.setdefault(loop, []).append((answer, ok))
        for loop, answers in by_loop.items():
            loop.call_soon_threadsafe(_answer_all, answers)


def _answer_all(answers: list[tuple[asyncio.Future[bool], bool]]) -> None:
    for answer, ok in answers:
        if not answer.done():
            answer.set_result(ok)


class AsyncpgBaseline:
    """A pool of raw asyncpg connections sending the single-statement reservation."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @staticmethod
    async def create(dsn: str, product_ids: Sequence[int], on_hand: int) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(_PG_SCHEMA)
            await connection.executemany(
                "INSERT INTO bench_levels (location_id, product_id, on_hand) VALUES ($1, $2, $3)",
                [(LOCATION_ID, pid, on_hand) for pid in product_ids],
            )
        finally:
            await connection.close()

    @classmethod
    async def open(cls, dsn: str, connections: int) -> AsyncpgBaseline:
        pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
        return cls(pool)

    async def close(self) -> None:
        await self._pool.close()

    async def reserve(self, product_id: int, quantity: int) -> bool:
        return await self._pool.fetchval(_PG_RESERVE, LOCATION_ID, product_id, quantity) is not None

    async def totals(self) -> Totals:
        row = await self._pool.fetchrow(_TOTALS)
        assert row is not None
        return Totals(int(row[0]), int(row[1]), int(row[2]))
