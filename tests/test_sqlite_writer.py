"""The SQLite writer thread: jobs batched into one transaction, each failing alone."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from omnigraph.db import sqlite_writer
from omnigraph.db.sqlite_writer import SQLiteWriter


@pytest.fixture
async def writer(tmp_path: Path) -> SQLiteWriter:
    path = tmp_path / "writer.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (n INTEGER PRIMARY KEY CHECK (n > 0))")
    return SQLiteWriter(str(path), asyncio.Lock())


def insert(n: int) -> Callable[[sqlite3.Connection], int]:
    def job(db: sqlite3.Connection) -> int:
        db.execute("INSERT INTO t (n) VALUES (?)", (n,))
        return n

    return job


def stored(writer: SQLiteWriter) -> list[int]:
    with sqlite3.connect(writer._path) as connection:
        return [n for (n,) in connection.execute("SELECT n FROM t ORDER BY n")]


async def test_a_failing_job_rolls_back_alone_and_raises_to_its_caller(
    writer: SQLiteWriter,
) -> None:
    def two_then_fail(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO t (n) VALUES (50)")
        db.execute("INSERT INTO t (n) VALUES (-1)")  # violates the CHECK

    results = await asyncio.gather(
        writer.run(insert(1)),
        writer.run(two_then_fail),
        writer.run(insert(2)),
        return_exceptions=True,
    )
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert stored(writer) == [1, 2]  # 50 went with its job, the neighbours committed
    await writer.close()


async def test_jobs_queued_together_share_a_commit(writer: SQLiteWriter) -> None:
    commits: list[int] = []
    original = writer._execute

    def counting(jobs: list[Any]) -> list[Any]:
        commits.append(len(jobs))
        return original(jobs)

    writer._execute = counting  # type: ignore[method-assign]
    numbers = range(1, 101)
    results = await asyncio.gather(*(writer.run(insert(n)) for n in numbers))
    assert results == list(numbers)
    assert sum(commits) == 100 and len(commits) < 100
    assert stored(writer) == list(numbers)
    await writer.close()


async def test_a_closed_writer_refuses_work(writer: SQLiteWriter) -> None:
    await writer.run(insert(7))
    await writer.close()
    with pytest.raises(RuntimeError):
        await writer.run(insert(8))
    assert stored(writer) == [7]


def insert_all(db: sqlite3.Connection, numbers: list[int]) -> list[int | Exception]:
    """A batch function: one statement for every item, except the odd ones out it refuses."""
    wanted = [n for n in numbers if n != 13]
    db.executemany("INSERT INTO t (n) VALUES (?)", [(n,) for n in wanted])
    return [ValueError("unlucky") if n == 13 else n for n in numbers]


async def test_items_of_a_batch_function_are_written_together_and_answered_alone(
    writer: SQLiteWriter,
) -> None:
    calls: list[list[int]] = []

    def batch(db: sqlite3.Connection, numbers: list[int]) -> list[int | Exception]:
        calls.append(numbers)
        return insert_all(db, numbers)

    numbers = [1, 2, 13, 4, 5]
    results = await asyncio.gather(
        *(writer.run_batched(batch, n) for n in numbers), return_exceptions=True
    )
    assert results[:2] == [1, 2] and results[3:] == [4, 5]
    assert isinstance(results[2], ValueError)
    assert calls == [numbers]  # queued together: one call for all of them, in queue order
    assert stored(writer) == [1, 2, 4, 5]
    await writer.close()


async def test_a_batch_function_that_raises_is_run_again_item_by_item(
    writer: SQLiteWriter,
) -> None:
    calls: list[list[int]] = []

    def batch(db: sqlite3.Connection, numbers: list[int]) -> list[int | Exception]:
        calls.append(numbers)
        return insert_all(db, numbers)  # -1 violates the CHECK: the whole statement fails

    numbers = [3, -1, 6]
    results = await asyncio.gather(
        *(writer.run_batched(batch, n) for n in numbers), return_exceptions=True
    )
    assert results[0] == 3 and results[2] == 6
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert calls == [[3, -1, 6], [3], [-1], [6]]
    assert stored(writer) == [3, 6]  # nothing of the failed attempt survived
    await writer.close()


async def test_plain_jobs_and_batched_items_keep_their_queue_order(writer: SQLiteWriter) -> None:
    seen: list[object] = []

    def batch(db: sqlite3.Connection, numbers: list[int]) -> list[int | Exception]:
        seen.append(tuple(numbers))
        return insert_all(db, numbers)

    def plain(n: int) -> Callable[[sqlite3.Connection], int]:
        def job(db: sqlite3.Connection) -> int:
            seen.append(n)
            return insert(n)(db)

        return job

    await asyncio.gather(
        writer.run_batched(batch, 1),
        writer.run_batched(batch, 2),
        writer.run(plain(3)),
        writer.run_batched(batch, 4),
    )
    assert seen == [(1, 2), 3, (4,)]
    await writer.close()


def wal_frames(path: str) -> int:
    with sqlite3.connect(path) as connection:
        busy, frames, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0
    return int(frames)


async def test_the_wal_is_checkpointed_and_started_over_beside_the_writer(
    writer: SQLiteWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_SECONDS", 0.0)
    with sqlite3.connect(writer._path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    commits = 300
    for n in range(1, commits + 1):
        await writer.run(insert(n))
        running = writer._checkpointer._running
        if running is not None:
            # A checkpoint's sync may take longer than many commits on a busy disk; waiting
            # for each makes the count below independent of the disk's speed.
            await asyncio.wrap_future(running)
    # Every commit appends at least one frame; without checkpoints that start the WAL over
    # (the writer's connection does not checkpoint by itself) there would be 300 or more.
    assert wal_frames(writer._path) < 10
    assert stored(writer) == list(range(1, commits + 1))
    await writer.close()
