"""The event dispatcher: per-plugin cursors, order, retries and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from omnigraph.builtin import DEFAULT_PLUGINS
from omnigraph.db.engine import Database
from omnigraph.db.models import EventCursor, OutboxEvent
from omnigraph.events.dispatcher import EventDispatcher, backoff_seconds
from omnigraph.events.types import Event
from omnigraph.hookspecs import hookimpl
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.core import Services
from omnigraph.settings import Settings

# Quiet: no built-in reacts to the events these tests count.
BUILT_INS = tuple(name for name, _ in DEFAULT_PLUGINS)


@dataclass
class Recorder:
    """A plugin that remembers every delivery and fails its first ``failures`` calls."""

    failures: int = 0
    calls: list[int] = field(default_factory=list)

    @hookimpl
    def omnigraph_handle_event(self, event: Event, services: Services) -> Awaitable[None]:
        return self._handle(event)

    async def _handle(self, event: Event) -> None:
        self.calls.append(event.id)
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError(f"partner API down for event {event.id}")

    @property
    def handled(self) -> list[int]:
        return self.calls


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.from_url(settings.database_url)
    yield database
    await database.dispose()


def core(settings: Settings, db: Database, **plugins: object) -> Services:
    # The built-in notifier also consumes events; leave it out so counts are this test's.
    quiet = settings.with_overrides(disabled_plugins=BUILT_INS)
    return Services(
        settings=quiet, db=db, plugins=build_plugin_manager(quiet, extra=plugins.items())
    )


async def record(services: Services, count: int, topic: str = "test.happened") -> list[int]:
    async with services.unit_of_work(actor="test") as uow:
        for n in range(count):
            uow.record(topic, "test", n, {"n": n})
        await uow.commit()
    async with services.db.read_session() as session:
        ids = await session.scalars(
            select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).limit(count)
        )
        return sorted(ids)


async def cursor(services: Services, consumer: str) -> EventCursor:
    async with services.db.read_session() as session:
        row = await session.get(EventCursor, consumer)
    assert row is not None, f"no cursor for {consumer}"
    return row


async def test_delivers_every_event_in_id_order(settings: Settings, db: Database) -> None:
    plugin = Recorder()
    services = core(settings, db, recorder=plugin)
    dispatcher = EventDispatcher(services, batch_size=2)
    assert await dispatcher.run_once() == 0
    ids = await record(services, 5)
    assert await dispatcher.run_once() == 5
    assert plugin.calls == ids
    assert (await cursor(services, "recorder")).last_event_id == ids[-1]
    assert await dispatcher.run_once() == 0


async def test_a_new_dispatcher_resumes_after_the_stored_cursor(
    settings: Settings, db: Database
) -> None:
    plugin = Recorder()
    services = core(settings, db, recorder=plugin)
    await EventDispatcher(services).run_once()
    first = await record(services, 3)
    assert await EventDispatcher(services).run_once() == 3
    second = await record(services, 2)
    # A fresh instance, as after a restart: it knows nothing but the table.
    assert await EventDispatcher(services).run_once() == 2
    assert plugin.calls == first + second


async def test_a_failing_plugin_backs_off_without_blocking_a_healthy_one(
    settings: Settings, db: Database
) -> None:
    healthy, flaky = Recorder(), Recorder(failures=2)
    services = core(settings, db, healthy=healthy, flaky=flaky)
    clock = FakeClock()
    dispatcher = EventDispatcher(services, clock=clock)
    await dispatcher.run_once()
    ids = await record(services, 3)

    assert await dispatcher.run_once() == 3
    assert healthy.calls == ids
    assert flaky.calls == ids[:1]
    state = await cursor(services, "flaky")
    assert (state.attempts, state.last_event_id) == (1, ids[0] - 1)
    assert f"partner API down for event {ids[0]}" in (state.last_error or "")

    # Backing off: one second after the first failure, two after the second.
    assert await dispatcher.run_once() == 0
    assert flaky.calls == ids[:1]
    clock.now += 1.0
    await dispatcher.run_once()
    assert flaky.calls == [ids[0], ids[0]]
    assert (await cursor(services, "flaky")).attempts == 2
    clock.now += 1.0
    assert await dispatcher.run_once() == 0
    clock.now += 1.0
    assert await dispatcher.run_once() == 3
    assert flaky.calls == [ids[0], ids[0], *ids]
    state = await cursor(services, "flaky")
    assert (state.attempts, state.last_error, state.last_event_id) == (0, None, ids[-1])


def test_back_off_doubles_and_is_capped_at_a_minute() -> None:
    assert [backoff_seconds(n) for n in (0, 1, 2, 3, 6, 7, 50)] == [0, 1, 2, 4, 32, 60, 60]


async def test_a_crash_between_handling_and_the_cursor_commit_delivers_again(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least once: the handler ran but its cursor was not saved, so the batch runs again."""
    effects: dict[int, int] = {}
    calls: list[int] = []

    class Idempotent:
        @hookimpl
        async def omnigraph_handle_event(self, event: Event) -> None:
            calls.append(event.id)
            effects.setdefault(event.id, len(effects))  # keyed by event id, as the contract asks

    services = core(settings, db, idempotent=Idempotent())
    crashing = EventDispatcher(services)
    await crashing.run_once()
    ids = await record(services, 2)

    async def crash(consumer: str, event_id: int) -> None:
        raise ConnectionError("process killed before the cursor was committed")

    monkeypatch.setattr(crashing, "_advance", crash)
    assert await crashing.run_once() == 0  # the pass failed at its cursor commit
    assert calls == ids
    assert (await cursor(services, "idempotent")).last_event_id < ids[0]

    assert await EventDispatcher(services).run_once() == 2
    assert calls == [*ids, *ids]
    assert sorted(effects) == ids  # the handler's effects happened once


async def test_the_cursor_is_committed_once_per_batch(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    services = core(settings, db, recorder=recorder)
    dispatcher = EventDispatcher(services, batch_size=3)
    await dispatcher.run_once()
    ids = await record(services, 7)
    commits: list[int] = []
    advance = dispatcher._advance

    async def counted(consumer: str, event_id: int) -> None:
        commits.append(event_id)
        await advance(consumer, event_id)

    monkeypatch.setattr(dispatcher, "_advance", counted)
    assert await dispatcher.run_once() == 7
    assert recorder.calls == ids
    assert commits == [ids[2], ids[5], ids[6]]
    assert (await cursor(services, "recorder")).last_event_id == ids[-1]


async def test_a_new_plugin_starts_at_the_latest_event_not_at_history(
    settings: Settings, db: Database
) -> None:
    veteran = Recorder()
    services = core(settings, db, veteran=veteran)
    await EventDispatcher(services).run_once()
    history = await record(services, 4)
    await EventDispatcher(services).run_once()

    newcomer = Recorder()
    services = core(settings, db, veteran=veteran, newcomer=newcomer)
    dispatcher = EventDispatcher(services)
    assert await dispatcher.run_once() == 0
    assert (await cursor(services, "newcomer")).last_event_id == history[-1]
    fresh = await record(services, 1)
    assert await dispatcher.run_once() == 2
    assert newcomer.calls == fresh
    assert veteran.calls == history + fresh


async def test_a_handler_may_be_synchronous_and_take_only_the_event(
    settings: Settings, db: Database
) -> None:
    topics: list[str] = []

    class Plain:
        @hookimpl
        def omnigraph_handle_event(self, event: Event) -> None:
            topics.append(event.topic)

    services = core(settings, db, plain=Plain())
    dispatcher = EventDispatcher(services)
    await dispatcher.run_once()
    await record(services, 2, topic="order.created")
    assert await dispatcher.run_once() == 2
    assert topics == ["order.created", "order.created"]


async def test_a_handler_that_hangs_times_out_as_a_failure(
    settings: Settings, db: Database
) -> None:
    never = asyncio.Event()

    class Hanging:
        @hookimpl
        async def omnigraph_handle_event(self, event: Event) -> None:
            await never.wait()

    services = core(settings, db, hanging=Hanging())
    dispatcher = EventDispatcher(services, handler_timeout=0.01)
    await dispatcher.run_once()
    await record(services, 1)
    assert await dispatcher.run_once() == 0
    state = await cursor(services, "hanging")
    assert state.attempts == 1
    assert "TimeoutError" in (state.last_error or "")


async def insert_event(services: Services, event_id: int) -> None:
    async with services.unit_of_work() as uow:
        uow.session.add(
            OutboxEvent(
                id=event_id,
                topic="test.gap",
                aggregate_type="test",
                aggregate_id=event_id,
                payload={},
            )
        )
        await uow.commit()


async def test_a_gap_in_ids_is_waited_for_then_filled_in_order(
    settings: Settings, db: Database
) -> None:
    plugin = Recorder()
    services = core(settings, db, recorder=plugin)
    clock = FakeClock()
    dispatcher = EventDispatcher(services, clock=clock, gap_grace_seconds=5)
    await dispatcher.run_once()
    await insert_event(services, 1)
    await insert_event(services, 3)  # 2 is still being committed elsewhere
    assert await dispatcher.run_once() == 1
    assert plugin.calls == [1]
    await insert_event(services, 2)
    assert await dispatcher.run_once() == 2
    assert plugin.calls == [1, 2, 3]


async def test_a_gap_that_never_fills_is_passed_after_the_grace(
    settings: Settings, db: Database
) -> None:
    plugin = Recorder()
    services = core(settings, db, recorder=plugin)
    clock = FakeClock()
    dispatcher = EventDispatcher(services, clock=clock, gap_grace_seconds=5)
    await dispatcher.run_once()
    await insert_event(services, 1)
    await insert_event(services, 3)  # 2 was rolled back and will never exist
    await dispatcher.run_once()
    clock.now += 4.9
    assert await dispatcher.run_once() == 0
    clock.now += 0.1
    assert await dispatcher.run_once() == 1
    assert plugin.calls == [1, 3]


async def test_the_background_task_wakes_on_commit_and_stops(
    settings: Settings, db: Database
) -> None:
    arrived = asyncio.Event()
    seen: list[str] = []

    class Waiter:
        @hookimpl
        async def omnigraph_handle_event(self, event: Event) -> None:
            seen.append(event.topic)
            arrived.set()

    services = core(settings, db, waiter=Waiter())
    # A poll interval far longer than the test: only the broker's wake-up can deliver in time.
    dispatcher = EventDispatcher(services, poll_seconds=600)
    await dispatcher.run_once()
    dispatcher.start()
    assert dispatcher.running
    await record(services, 1, topic="inventory.changed")
    await asyncio.wait_for(arrived.wait(), timeout=10)
    await dispatcher.stop()
    assert not dispatcher.running
    assert seen == ["inventory.changed"]
    async with services.db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(EventCursor)) == 1
