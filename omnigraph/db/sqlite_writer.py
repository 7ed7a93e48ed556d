"""One writer thread for SQLite hot paths: short jobs run back to back, committed together.

SQLite has one writer at a time, so what limits a write path is how long each write holds
that lock and how much Python runs around it. A job here is a plain function of a
``sqlite3.Connection`` that reads and writes with prepared SQL and no round trip through an
async driver. Jobs queued while a batch runs wait for the next batch, which runs them in one
transaction (each in its own SAVEPOINT, so one failing job rolls back alone) and commits
once: the group commit that makes a burst of checkouts cheap.

A batch holds the database's ``write_gate`` (see ``Database``), so these jobs and the
ordinary units of work of this process take turns instead of fighting over SQLite's lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
# A bound on one transaction's size, so one burst cannot starve the other writers for long.
MAX_BATCH = 256


@dataclass(slots=True)
class _Queued:
    job: Job
    future: asyncio.Future[Any]


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


def _connect(path: str) -> sqlite3.Connection:
    # isolation_level=None: this module says BEGIN and COMMIT itself.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=10000")
    return connection


def _run_batch(connection: sqlite3.Connection, jobs: list[Job]) -> list[Any]:
    """Every job in its own savepoint inside one transaction; one commit at the end."""
    results: list[Any] = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        for job in jobs:
            connection.execute("SAVEPOINT job")
            try:
                results.append(job(connection))
            except Exception as error:  # the job's own failure: undo it, keep the others
                connection.execute("ROLLBACK TO job")
                results.append(_Failed(error))
            connection.execute("RELEASE job")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return results


class SQLiteWriter:
    """``await writer.run(job)`` runs ``job(connection)`` in the writer thread, committed.

    The result is the job's return value; an exception raised by the job is raised to the
    caller and the job's writes are rolled back (the rest of its batch commits). Nothing is
    visible to other connections before ``run`` returns.
    """

    def __init__(self, path: str, write_gate: asyncio.Lock) -> None:
        self._path = path
        self._gate = write_gate
        self._queue: list[_Queued] = []
        self._task: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="omnigraph-writer")
        self._connection: sqlite3.Connection | None = None
        self._closed = False

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise RuntimeError("the SQLite writer is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(job, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="omnigraph-sqlite-writer")
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            async with self._gate:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                jobs = [queued.job for queued in batch]
                try:
                    results = await loop.run_in_executor(self._thread, self._execute, jobs)
                except BaseException as error:  # the commit itself failed: every job lost
                    for queued in batch:
                        if not queued.future.done():
                            queued.future.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
            for queued, result in zip(batch, results, strict=True):
                if queued.future.done():  # the caller was cancelled; its work committed
                    continue
                if isinstance(result, _Failed):
                    queued.future.set_exception(result.error)
                else:
                    queued.future.set_result(result)

    def _execute(self, jobs: list[Job]) -> list[Any]:
        # Only the writer thread runs this, so the connection needs no lock.
        if self._connection is None:
            self._connection = _connect(self._path)
        return _run_batch(self._connection, jobs)

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._close_connection)
        self._thread.shutdown(wait=True)

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
