"""Delivering outbox events to plugins' ``omnigraph_handle_event``: in id order, at least once.

Every plugin that implements the hook is a separate consumer with its own row in
``event_cursors`` (``consumer`` is the plugin's registered name) holding the id of the
last event it handled. So:

- a plugin that raises is retried with exponential back-off (1 s, 2 s, 4 s ... capped at
  60 s) while the others carry on; its ``attempts`` and ``last_error`` are on its row;
- after a restart, delivery resumes after the stored id;
- a plugin seen for the first time starts after the *latest* event at that moment, not
  at the beginning of history: installing a connector must not replay months of orders
  into a partner's system. Run the dispatcher once (``run_once()`` or ``start()``) before
  the events a new plugin must see, as the app does at start-up;
- the cursor is committed once per batch of events read (at most ``batch_size``), after
  the handler returned for each, and before a failure is recorded; a crash in between
  delivers that batch's events again: delivery is at least once, and handlers use
  ``event.id`` as an idempotency key. (A commit per event cost each plugin a write
  transaction for every event, several per order.)

Ids are allocated when a transaction writes its event but become visible when it commits,
so on PostgreSQL a later id can be visible before an earlier one. A consumer that sees a
gap waits ``gap_grace_seconds`` for the missing ids before it moves past them (ids
left by rolled-back transactions never arrive).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from omnigraph.db.models import EventCursor
from omnigraph.db.raw_rows import bind
from omnigraph.db.types import utcnow
from omnigraph.events.gaps import GAP_GRACE_SECONDS, IdGaps
from omnigraph.events.outbox import events_after, events_after_on, latest_event_id
from omnigraph.events.types import Event

if TYPE_CHECKING:
    from pluggy import HookImpl

    from omnigraph.services.core import Services

logger = logging.getLogger(__name__)

HOOK_NAME = "omnigraph_handle_event"
# The cursor statements as the SQLite writer thread runs them (``_advance``'s, never back).
_READ_CURSOR = "SELECT last_event_id, attempts FROM event_cursors WHERE consumer = ?"
_ADVANCE = (
    "UPDATE event_cursors SET last_event_id = ?, attempts = 0, last_error = NULL,"
    " updated_at = ? WHERE consumer = ? AND last_event_id < ?"
)
BATCH_SIZE = 100
BASE_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
HANDLER_TIMEOUT_SECONDS = 30.0
_ERROR_LENGTH = 1000


def backoff_seconds(
    attempts: int, base: float = BASE_BACKOFF_SECONDS, cap: float = MAX_BACKOFF_SECONDS
) -> float:
    """The wait after ``attempts`` failures in a row: base, 2 x base, 4 x base ... up to ``cap``."""
    if attempts <= 0:
        return 0.0
    return min(cap, base * 2 ** min(attempts - 1, 30))


@dataclass(frozen=True, slots=True)
class CursorState:
    last_event_id: int
    attempts: int


class EventDispatcher:
    """Fans committed outbox events out to plugins; one per process.

    ``run_once()`` delivers what is pending now; ``start()`` keeps doing so in a background
    task, waking when the broker announces a commit or every ``poll_seconds`` (to see
    other processes' commits); ``stop()`` ends it.
    """

    def __init__(
        self,
        services: Services,
        *,
        poll_seconds: float | None = None,
        batch_size: int = BATCH_SIZE,
        handler_timeout: float = HANDLER_TIMEOUT_SECONDS,
        base_backoff: float = BASE_BACKOFF_SECONDS,
        max_backoff: float = MAX_BACKOFF_SECONDS,
        gap_grace_seconds: float = GAP_GRACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._services = services
        self.poll_seconds = (
            services.settings.event_poll_seconds if poll_seconds is None else poll_seconds
        )
        self._batch_size = batch_size
        self._handler_timeout = handler_timeout
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._clock = clock
        self._gaps = IdGaps(gap_grace_seconds, clock)
        # In memory on purpose: after a restart a failing plugin gets one immediate try,
        # then its persisted attempt count puts it straight back on the long wait.
        self._retry_at: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # -- one pass -------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Deliver what is pending to every plugin not backing off; returns the deliveries made."""
        async with self._lock:
            handlers = self._handlers()
            results = await asyncio.gather(
                *(self._drain(impl) for impl in handlers), return_exceptions=True
            )
        delivered = 0
        for impl, result in zip(handlers, results, strict=True):
            if isinstance(result, int):
                delivered += result
            elif isinstance(result, Exception):
                # The handler's own errors are handled in _drain; this is the database failing.
                logger.error(
                    "event delivery to plugin %s stopped", impl.plugin_name, exc_info=result
                )
            else:
                raise result
        return delivered

    def _handlers(self) -> list[HookImpl]:
        caller = getattr(self._services.plugins.hook, HOOK_NAME)
        return [impl for impl in caller.get_hookimpls() if not (impl.hookwrapper or impl.wrapper)]

    async def _drain(self, impl: HookImpl) -> int:
        name = impl.plugin_name
        if self._clock() < self._retry_at.get(name, float("-inf")):
            return 0
        position = (await self._cursor(name)).last_event_id
        delivered = 0
        while True:
            events = await self._events_after(position)
            handled = position
            waiting = False  # for a gap's missing ids
            failure: tuple[Event, Exception] | None = None
            for event in events:
                if event.id != handled + 1 and not self._gaps.elapsed(handled + 1):
                    waiting = True
                    break
                try:
                    await self._call(impl, event)
                except Exception as exc:
                    failure = (event, exc)
                    break
                self._retry_at.pop(name, None)
                handled = event.id
                delivered += 1
            if handled != position:
                await self._advance(name, handled)
                position = handled
            if failure is not None:
                await self._failed(name, *failure)
                return delivered
            if waiting or len(events) < self._batch_size:
                return delivered

    async def _call(self, impl: HookImpl, event: Event) -> None:
        # Like pluggy, pass only the arguments the implementation declares.
        available: dict[str, Any] = {"event": event, "services": self._services}
        result = impl.function(*(available[name] for name in impl.argnames))
        if inspect.isawaitable(result):
            await asyncio.wait_for(result, self._handler_timeout)

    async def _events_after(self, position: int) -> list[Event]:
        db = self._services.db
        if db.is_sqlite:  # a few prepared statements in the writer thread, not a session
            limit = self._batch_size
            return await db.sqlite_writer.run(lambda c: events_after_on(c, position, limit))
        async with db.read_session() as session:
            return await events_after(session, position, limit=self._batch_size)

    # -- cursors --------------------------------------------------------------------------

    async def _cursor(self, consumer: str) -> CursorState:
        db = self._services.db
        if db.is_sqlite:
            found = await db.sqlite_writer.run(
                lambda c: c.execute(_READ_CURSOR, (consumer,)).fetchone()
            )
            if found is not None:
                return CursorState(*found)
        async with self._services.db.read_session() as session:
            row = await session.get(EventCursor, consumer)
            if row is not None:
                return CursorState(row.last_event_id, row.attempts)
        try:
            async with self._services.unit_of_work() as uow:
                latest = await latest_event_id(uow.session)
                uow.session.add(
                    EventCursor(
                        consumer=consumer, last_event_id=latest, attempts=0, updated_at=utcnow()
                    )
                )
                await uow.commit()
        except IntegrityError:
            # Another process registered the consumer first; use its row.
            return await self._cursor(consumer)
        logger.info("plugin %s receives events from now on (after event %d)", consumer, latest)
        return CursorState(latest, 0)

    async def _advance(self, consumer: str, event_id: int) -> None:
        db = self._services.db
        if db.is_sqlite:
            now = bind(EventCursor, "updated_at", utcnow())
            await db.sqlite_writer.run(
                lambda c: c.execute(_ADVANCE, (event_id, now, consumer, event_id))
            )
            return
        async with self._services.unit_of_work() as uow:
            await uow.session.execute(
                update(EventCursor)
                # Never backwards: a slower dispatcher in another process may finish later.
                .where(EventCursor.consumer == consumer, EventCursor.last_event_id < event_id)
                .values(last_event_id=event_id, attempts=0, last_error=None, updated_at=utcnow())
            )
            await uow.commit()

    async def _failed(self, consumer: str, event: Event, exc: Exception) -> None:
        error = f"event {event.id} ({event.topic}): {type(exc).__name__}: {exc}"[:_ERROR_LENGTH]
        async with self._services.unit_of_work() as uow:
            attempts = await uow.session.scalar(
                update(EventCursor)
                .where(EventCursor.consumer == consumer)
                .values(attempts=EventCursor.attempts + 1, last_error=error, updated_at=utcnow())
                .returning(EventCursor.attempts)
            )
            await uow.commit()
        delay = backoff_seconds(attempts or 1, self._base_backoff, self._max_backoff)
        self._retry_at[consumer] = self._clock() + delay
        logger.warning(
            "plugin %s failed on event %d (%s), attempt %d; retrying in %.1f s",
            consumer,
            event.id,
            event.topic,
            attempts or 1,
            delay,
            exc_info=exc,
        )

    # -- background task ------------------------------------------------------------------

    def start(self) -> None:
        """Run in a background task of the running loop until ``stop()``; idempotent."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="omnigraph-event-dispatcher"
            )

    async def stop(self) -> None:
        """Cancel the background task; an event being handled is delivered again next time."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        broker = self._services.broker
        while True:
            seen = broker.latest_id
            try:
                await self.run_once()
            except Exception:
                logger.exception("event dispatch pass failed; trying again after the poll interval")
            await broker.wait_beyond(seen, timeout=self._next_wait())

    def _next_wait(self) -> float:
        """The poll interval, shortened so a plugin's retry or a gap's grace is not overslept."""
        now = self._clock()
        deadlines = [at - now for at in self._retry_at.values()]
        gap_deadline = self._gaps.seconds_to_next_deadline()
        if gap_deadline is not None:
            deadlines.append(gap_deadline)
        # A deadline already past belongs to a pass that could not act on it (say the
        # database was down); waking for it again at once would spin.
        return min([self.poll_seconds, *(d for d in deadlines if d > 0)])
