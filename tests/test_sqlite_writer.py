"""The SQLite writer thread: jobs batched into one transaction, each failing alone."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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
