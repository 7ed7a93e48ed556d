"""The unit of work: one transaction, its outbox events, and the wake-up after commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.engine import Database
from omnigraph.db.models import OutboxEvent
from omnigraph.db.types import utcnow
from omnigraph.events.broker import EventBroker
from omnigraph.events.outbox import new_event


class UnitOfWork:
    """``async with UnitOfWork(db, broker) as uow: ...; await uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back, events included, so a
    failed call leaves stock, orders and the outbox exactly as they were.
    """

    def __init__(
        self,
        db: Database,
        broker: EventBroker,
        actor: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._broker = broker
        self.actor = actor
        # The services' clock, so ledger times agree with the times use cases decide by.
        self.now = clock
        self._session: AsyncSession | None = None
        self._events: list[OutboxEvent] = []
        self._gate_held = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'async with' block")
        return self._session

    @property
    def is_sqlite(self) -> bool:
        return self._db.is_sqlite

    async def __aenter__(self) -> UnitOfWork:
        if self._db.write_gate is not None:
            await self._db.write_gate.acquire()
            self._gate_held = True
        try:
            self._session = self._db.sessions()
            await self._session.begin()
        except BaseException:
            self._release_gate()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._session is not None:
                if self._session.in_transaction():
                    # Rows read here stay usable by the caller (a replayed order, say):
                    # detached before the rollback, they keep the values they were read with.
                    self._session.expunge_all()
                    await self._session.rollback()
                await self._session.close()
        finally:
            self._session = None
            self._release_gate()

    def _release_gate(self) -> None:
        if self._gate_held and self._db.write_gate is not None:
            self._db.write_gate.release()
            self._gate_held = False

    def track_inserts(self) -> list[Any]:
        """A list that receives every row this unit of work inserts, as it is flushed.

        The session keeps rows only weakly once flushed; a caller that answers with what it
        wrote (a new order's lines, say) keeps them here instead of reading them back.
        """
        inserted: list[Any] = []

        def keep(_session: Any, row: Any) -> None:
            inserted.append(row)

        event.listen(self.session.sync_session, "pending_to_persistent", keep)
        return inserted

    def record(
        self,
        topic: str,
        aggregate_type: str,
        aggregate_id: int,
        payload: Mapping[str, Any],
        *,
        order_id: int | None = None,
    ) -> None:
        """Queue an outbox event; it is written with the commit, or not at all.

        The rows are added at commit, not now: an outbox id becomes visible when its
        transaction commits, so taking it at the last moment keeps the window in which a
        consumer sees a later id before this one (a gap it must wait for) as short as can be.
        """
        event = new_event(
            topic, aggregate_type, aggregate_id, payload, order_id=order_id, actor=self.actor
        )
        event.occurred_at = self.now()
        self._events.append(event)

    async def commit(self) -> None:
        if self._events:
            self.session.add_all(self._events)
            await self.session.flush()
        await self.session.commit()
        if self._events:
            await self._broker.announce(max(event.id for event in self._events))
            self._events.clear()
