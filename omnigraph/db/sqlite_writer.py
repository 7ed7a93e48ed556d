"""One writer thread for SQLite hot paths: short jobs run back to back, committed together.

SQLite has one writer at a time, so what limits a write path is how long each write holds
that lock and how much Python runs around it. A job here is a plain function of a
``sqlite3.Connection`` that reads and writes with prepared SQL and no round trip through an
async driver. Jobs queued while a batch runs wait for the next batch, which runs them in one
transaction (each in its own SAVEPOINT, so one failing job rolls back alone) and commits
once: the group commit that makes a burst of checkouts cheap.

Work that many callers ask for at once (checkout holds) can go further with ``run_batched``:
consecutive queued items of the same batch function are handed to it together, so it reads
what they share once and writes them with ``executemany``. It answers each item on its own
(a value, or an exception for an item it refused having written nothing for it); if it
raises instead, its writes are rolled back and each of its items is run again alone, so one
bad item still fails by itself.

A batch holds the database's ``write_gate`` (see ``Database``), so these jobs and the
ordinary units of work of this process take turns instead of fighting over SQLite's lock.

The writer's connection does not checkpoint the WAL itself: a checkpoint copies thousands of
pages into the database file and syncs it, and on the writer's path that would stall every
batch queued behind it. A second thread with its own connection runs a PASSIVE checkpoint
(which works beside readers and the writer) at most every ``CHECKPOINT_SECONDS`` while the
writer commits.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - an item of a batch function
Job = Callable[[sqlite3.Connection], Any]
# Answers its items in order: each answer a result, or the exception that item alone failed with.
BatchJob = Callable[[sqlite3.Connection, list[Any]], Sequence[Any]]
# A bound on one transaction's size, so one burst cannot starve the other writers for long.
MAX_BATCH = 256
# How often, at most, the WAL is checkpointed while the writer commits.
CHECKPOINT_SECONDS = 0.1


@dataclass(slots=True)
class _Queued:
    """A plain job (``batch`` is None), or an item for a batch function."""

    job: Job | None
    batch: BatchJob | None
    item: Any
    future: asyncio.Future[Any]


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


class WriterConnection(sqlite3.Connection):
    """The writer's connection. ``memo`` is where jobs keep what they worked out for the
    next batches (it lives as long as the writer); a job must check that what it kept still
    holds, for other connections write too."""

    memo: dict[str, Any]


def _connect(path: str) -> WriterConnection:
    # isolation_level=None: this module says BEGIN and COMMIT itself.
    # Room for the prepared statements of the hot paths: multi-row INSERTs of several sizes.
    connection = sqlite3.connect(
        path,
        isolation_level=None,
        check_same_thread=False,
        cached_statements=512,
        factory=WriterConnection,
    )
    connection.memo = {}
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=10000")
    return connection


class _Checkpointer:
    """PASSIVE checkpoints of the WAL in a thread of their own, one at a time."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="omnigraph-wal")
        self._connection: sqlite3.Connection | None = None
        self._running: Future[None] | None = None
        self._last = float("-inf")

    def nudge(self, writer: sqlite3.Connection) -> None:
        """After the writer's commit: finish a checkpoint that ran since the last commit,
        or start one unless one runs or one started recently."""
        if self._running is not None:
            if not self._running.done():
                return
            failed = self._running.exception()
            self._running = None
            if failed is not None:
                logger.error("a WAL checkpoint failed: %r", failed)
            # What was committed while it ran, copied by the writer itself: with nothing
            # committed in between, its next transaction starts the WAL from the beginning
            # again (a checkpoint beside the writer never sees the WAL whole, so never could).
            writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            return
        now = time.monotonic()
        if now - self._last < CHECKPOINT_SECONDS:
            return
        self._last = now
        self._running = self._thread.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, check_same_thread=False)
            self._connection.execute("PRAGMA busy_timeout=10000")
        # A checkpoint that cannot finish (a reader still on old pages) leaves the rest to
        # the next one; nothing is lost either way.
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        self._thread.submit(self._close_connection).result()
        self._thread.shutdown(wait=True)

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _run_job(connection: sqlite3.Connection, job: Job) -> Any:
    connection.execute("SAVEPOINT job")
    try:
        result = job(connection)
    except Exception as error:  # the job's own failure: undo it, keep the others
        connection.execute("ROLLBACK TO job")
        result = _Failed(error)
    connection.execute("RELEASE job")
    return result


def _run_group(connection: sqlite3.Connection, batch: BatchJob, items: list[Any]) -> list[Any]:
    """Items of one batch function together; alone, one by one, if it raises for them all."""
    connection.execute("SAVEPOINT job")
    try:
        answers = list(batch(connection, items))
        if len(answers) != len(items):
            raise RuntimeError(f"{len(answers)} answers for {len(items)} items")
    except Exception as error:
        connection.execute("ROLLBACK TO job")
        connection.execute("RELEASE job")
        if len(items) == 1:
            return [_Failed(error)]
        return [
            result
            for item in items
            for result in _run_group(connection, batch, [item])  # one bad item fails alone
        ]
    connection.execute("RELEASE job")
    return [_Failed(a) if isinstance(a, BaseException) else a for a in answers]


def _run_batch(connection: sqlite3.Connection, queued: list[_Queued]) -> list[Any]:
    """Every job (every run of a batch function's items) in its own savepoint inside one
    transaction; one commit at the end."""
    results: list[Any] = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        start = 0
        while start < len(queued):
            first = queued[start]
            if first.batch is None:
                assert first.job is not None
                results.append(_run_job(connection, first.job))
                start += 1
                continue
            end = start + 1
            while end < len(queued) and queued[end].batch is first.batch:
                end += 1
            items = [entry.item for entry in queued[start:end]]
            results += _run_group(connection, first.batch, items)
            start = end
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return results


def _answer(batch: list[_Queued], results: list[Any]) -> None:
    for queued, result in zip(batch, results, strict=True):
        if queued.future.done():  # the caller was cancelled; its work committed
            continue
        if isinstance(result, _Failed):
            queued.future.set_exception(result.error)
        else:
            queued.future.set_result(result)


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
        self._checkpointer = _Checkpointer(path)
        self._closed = False

    def run(self, job: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Queue ``job``; await the returned future for its result."""
        return self._enqueue(_Queued(job, None, None, self._future()))

    def run_batched(
        self, batch: Callable[[sqlite3.Connection, list[I]], Sequence[T | Exception]], item: I
    ) -> asyncio.Future[T]:
        """Queue ``item`` for ``batch(connection, items)``, which gets it with the items of
        ``batch`` queued beside it, in queue order; await the returned future for this item's
        answer (raised when it is an exception).

        ``batch`` must write nothing for an item it answers with an exception. Items are
        grouped by identity of ``batch``, so pass the same function object every time.
        """
        return self._enqueue(_Queued(None, batch, item, self._future()))

    def _future(self) -> asyncio.Future[Any]:
        if self._closed:
            raise RuntimeError("the SQLite writer is closed")
        return asyncio.get_running_loop().create_future()

    def _enqueue(self, queued: _Queued) -> asyncio.Future[Any]:
        # Plain functions, not coroutines: a hold resumes through two frames fewer.
        self._queue.append(queued)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="omnigraph-sqlite-writer")
        return queued.future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            async with self._gate:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    results = await loop.run_in_executor(self._thread, self._execute, batch)
                except BaseException as error:  # the commit itself failed: every job lost
                    for queued in batch:
                        if not queued.future.done():
                            queued.future.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
            _answer(batch, results)

    def _execute(self, batch: list[_Queued]) -> list[Any]:
        # Only the writer thread runs this, so the connection needs no lock.
        if self._connection is None:
            self._connection = _connect(self._path)
            self._connection.execute("PRAGMA wal_autocheckpoint=0")  # _Checkpointer's job
        results = _run_batch(self._connection, batch)
        try:
            self._checkpointer.nudge(self._connection)
        except Exception:  # the batch committed: its callers must hear so regardless
            logger.exception("checkpointing the WAL failed; the next commit tries again")
        return results

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._close_connection)
        self._thread.shutdown(wait=True)
        await loop.run_in_executor(None, self._checkpointer.close)

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
