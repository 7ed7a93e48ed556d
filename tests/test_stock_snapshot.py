"""The promise's stock snapshot: served from memory, kept current by the events of every
change (patched in place by a checkout's, dropped by the others)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from omnigraph.db.engine import Database
from omnigraph.db.models import FulfillmentOrder, InventoryLevel, OutboxEvent
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import Address, CustomerDetails, LineRequest, OrderRequest
from omnigraph.domain.vocabulary import DeliveryMethod, InventoryBucket
from omnigraph.events.outbox import latest_event_id
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services import stock_snapshot
from omnigraph.services.core import Services
from omnigraph.services.inventory import AdjustInventory, adjust_inventory
from omnigraph.services.orders import create_order
from omnigraph.services.promise import PromiseRequest, PromiseResult, delivery_promise
from omnigraph.services.stock_snapshot import SnapshotDrift, StockSnapshot
from omnigraph.settings import Settings
from tests.factories import HOME, build_network

DOORSTEP = GeoPoint(HOME["latitude"], HOME["longitude"])
TEE = PromiseRequest([LineRequest("TEE-001", 1)], [DeliveryMethod.SHIP_STANDARD], DOORSTEP)
LOOP, TEE_ID = 2, 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _core(
    settings: Settings, db: Database, clock: Clock | None = None, *, ordered_ids: bool = True
) -> Services:
    """``ordered_ids=False``: the snapshot expects outbox ids to commit out of order, as
    they can on PostgreSQL, whatever the test database."""
    services = Services(settings=settings, db=db, plugins=build_plugin_manager(settings))
    if clock is not None:
        services.stock_snapshot = StockSnapshot(
            services.broker,
            is_sqlite=db.is_sqlite and ordered_ids,
            poll_seconds=1.0,
            clock=clock,
        )
    return services


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.from_url(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture
def plain(settings: Settings) -> Settings:
    """Without verification: these tests prove the snapshot itself stays current."""
    return settings.with_overrides(stock_snapshot_verify=False)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def tees(result: PromiseResult) -> int:
    [line] = result.lines
    return line.network_available


async def _take_tees(services: Services, quantity: int) -> None:
    await adjust_inventory(
        services,
        AdjustInventory(
            location_id=LOOP, sku="TEE-001", bucket=InventoryBucket.ON_HAND, delta=-quantity
        ),
    )


async def _empty_loop_tees_without_event(services: Services) -> None:
    async with services.unit_of_work() as uow:
        await uow.session.execute(
            update(InventoryLevel)
            .where(InventoryLevel.location_id == LOOP, InventoryLevel.product_id == TEE_ID)
            .values(on_hand=0)
        )
        await uow.commit()


async def test_a_repeated_promise_reads_no_stock(plain: Settings, db: Database) -> None:
    services = _core(plain, db)
    await build_network(services)
    first = await delivery_promise(services, TEE)
    with statements(db) as seen:
        again = await delivery_promise(services, TEE)
    assert tees(again) == tees(first) == 111
    assert again.options[0].plan.location_ids == first.options[0].plan.location_ids
    assert not [s for s in seen if "inventory_levels" in s or "backorders" in s], seen


async def test_a_change_in_this_process_reaches_the_next_promise(
    plain: Settings, db: Database
) -> None:
    clock = Clock()
    services = _core(plain, db, clock)
    await build_network(services)
    assert tees(await delivery_promise(services, TEE)) == 111
    await _take_tees(services, 2)
    # No time passes: the commit's announcement alone makes the snapshot look.
    assert tees(await delivery_promise(services, TEE)) == 109


async def test_another_process_change_is_seen_at_the_next_poll(
    plain: Settings, db: Database
) -> None:
    clock = Clock()
    here, elsewhere = _core(plain, db, clock), _core(plain, db)
    await build_network(here)
    assert tees(await delivery_promise(here, TEE)) == 111
    await _take_tees(elsewhere, 3)
    # This process was not told; it looks at the outbox once its poll interval has passed.
    assert tees(await delivery_promise(here, TEE)) == 111
    clock.now += 1.0
    assert tees(await delivery_promise(here, TEE)) == 108


async def test_a_load_that_raced_a_change_is_not_kept(
    plain: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _core(plain, db, Clock())
    await build_network(services)
    snapshot = services.stock_snapshot
    load = stock_snapshot._load_stock
    loads = 0

    async def racing_load(*args: Any) -> Any:
        nonlocal loads
        loads += 1
        loaded = await load(*args)
        if loads == 1:
            snapshot._drop(TEE_ID)  # what a catch-up in another request does meanwhile
        return loaded

    monkeypatch.setattr(stock_snapshot, "_load_stock", racing_load)
    await delivery_promise(services, TEE)
    await delivery_promise(services, TEE)
    await delivery_promise(services, TEE)
    assert loads == 2  # the first load was not kept, the second was


async def test_far_behind_the_outbox_it_starts_afresh(
    plain: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stock_snapshot, "CATCH_UP_LIMIT", 2)
    clock = Clock()
    here, elsewhere = _core(plain, db, clock), _core(plain, db)
    await build_network(here)
    assert tees(await delivery_promise(here, TEE)) == 111
    for _ in range(2):
        await _take_tees(elsewhere, 1)
    clock.now += 1.0
    assert tees(await delivery_promise(here, TEE)) == 109
    await _take_tees(here, 1)
    assert tees(await delivery_promise(here, TEE)) == 108


async def test_old_entries_are_reloaded(plain: Settings, db: Database) -> None:
    clock = Clock()
    services = _core(plain, db, clock)
    await build_network(services)
    assert tees(await delivery_promise(services, TEE)) == 111
    # An operator's SQL: no event is written, so only age can drop the entry.
    await _empty_loop_tees_without_event(services)
    assert tees(await delivery_promise(services, TEE)) == 111
    clock.now += stock_snapshot.MAX_AGE_SECONDS + 1
    assert tees(await delivery_promise(services, TEE)) == 108


async def test_verification_catches_a_change_without_an_event(
    settings: Settings, db: Database
) -> None:
    services = _core(settings, db)
    assert services.stock_snapshot  # built with verify on by the test settings
    await build_network(services)
    await delivery_promise(services, TEE)
    await _empty_loop_tees_without_event(services)
    with pytest.raises(SnapshotDrift):
        await delivery_promise(services, TEE)


async def test_an_event_committed_late_with_an_earlier_id_is_not_skipped(
    plain: Settings, db: Database
) -> None:
    clock = Clock()
    services = _core(plain, db, clock, ordered_ids=False)
    await build_network(services)
    assert tees(await delivery_promise(services, TEE)) == 111
    async with db.read_session() as session:
        start = await latest_event_id(session)

    async def write(event_id: int, topic: str, payload: dict[str, Any]) -> None:
        async with services.unit_of_work() as uow:
            uow.session.add(
                OutboxEvent(
                    id=event_id,
                    topic=topic,
                    aggregate_type="test",
                    aggregate_id=1,
                    payload=payload,
                )
            )
            await uow.commit()

    # A later transaction commits first; the earlier one, which changed the stock, is late.
    await write(start + 2, "order.created", {})
    await _empty_loop_tees_without_event(services)
    clock.now += 1.0
    assert tees(await delivery_promise(services, TEE)) == 111  # nothing said TEE changed
    await write(start + 1, "inventory.changed", {"productId": TEE_ID, "sku": "TEE-001"})
    # No announcement, no poll due: the gap alone makes the snapshot look again.
    assert tees(await delivery_promise(services, TEE)) == 108


def _tee_order(quantity: int) -> OrderRequest:
    return OrderRequest(
        channel="WEB",
        method=DeliveryMethod.SHIP_STANDARD,
        lines=[LineRequest("TEE-001", quantity)],
        customer=CustomerDetails("ada@example.com", "Ada Lovelace"),
        shipping_address=Address(
            name="Ada Lovelace",
            line1="1 Main St",
            city="Chicago",
            postal_code="60601",
            country="US",
            latitude=HOME["latitude"],
            longitude=HOME["longitude"],
        ),
    )


async def _database_counts(services: Services) -> dict[int, int]:
    async with services.db.read_session() as session:
        return {
            location_id: count
            for location_id, count in (
                await session.execute(
                    select(FulfillmentOrder.location_id, func.count())
                    .where(FulfillmentOrder.status == "OPEN")
                    .group_by(FulfillmentOrder.location_id)
                )
            ).all()
        }


async def test_a_checkout_patches_the_snapshot_instead_of_dropping_it(
    plain: Settings, db: Database
) -> None:
    services = _core(plain, db, Clock())
    await build_network(services)
    assert tees(await delivery_promise(services, TEE)) == 111
    placed = await create_order(services, _tee_order(2))

    with statements(db) as seen:
        after = await delivery_promise(services, TEE)

    assert tees(after) == 109
    # The commit's event set the level's units in place: no stock is read again, and on
    # SQLite (ids commit in order) the new fulfilment order was counted in place too.
    assert not [s for s in seen if "inventory_levels" in s], seen
    if db.is_sqlite:
        # The express capture handed its events over as written: nothing is read back.
        assert seen == [], seen
    fresh = _core(plain, db)
    assert tees(await delivery_promise(fresh, TEE)) == 109
    [fulfilment] = placed.written.fulfilments if placed.written else ()
    counted = services.stock_snapshot._counted.get(fulfilment.location_id)
    if db.is_sqlite:
        assert counted is not None
        assert counted[1] == (await _database_counts(services))[fulfilment.location_id] == 1


async def test_a_receipt_drops_the_sku_rather_than_patching_it(
    plain: Settings, db: Database
) -> None:
    services = _core(plain, db, Clock())
    await build_network(services)
    await delivery_promise(services, TEE)
    await _take_tees(services, -5)  # goods received: ADJUSTMENT, not patched
    with statements(db) as seen:
        assert tees(await delivery_promise(services, TEE)) == 116
    assert [s for s in seen if "inventory_levels" in s]


async def test_an_order_counted_by_a_load_is_not_counted_again_by_its_event(
    plain: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL drops today's counts at every new fulfilment order")
    clock = Clock()
    here, elsewhere = _core(plain, db, clock), _core(plain, db)
    await build_network(here)
    await delivery_promise(here, TEE)
    here.stock_snapshot._drop_orders()  # the next promise counts again
    count = stock_snapshot._count_orders_today
    placed: list[int] = []  # once: the order's own sourcing counts too

    async def order_placed_meanwhile(*args: Any) -> Any:
        # Committed after this promise's catch-up and before its count: the count includes
        # the order, and its event is read by the next catch-up.
        if not placed:
            placed.append(1)
            await create_order(elsewhere, _tee_order(1))
        return await count(*args)

    monkeypatch.setattr(stock_snapshot, "_count_orders_today", order_placed_meanwhile)
    await delivery_promise(here, TEE)
    monkeypatch.setattr(stock_snapshot, "_count_orders_today", count)
    clock.now += 1.0  # the poll reads the order's events
    await delivery_promise(here, TEE)

    counted = {lid: held[1] for lid, held in here.stock_snapshot._counted.items() if held[1]}
    assert counted == await _database_counts(here)
    assert sum(counted.values()) == 1


class _Rows:
    def __init__(self, rows: list[tuple[int, str, dict[str, Any]]]) -> None:
        self.rows = rows

    def all(self) -> list[tuple[int, str, dict[str, Any]]]:
        return self.rows


class _SlowOutbox:
    """A session whose outbox read answers ``rows`` after ``delay`` seconds."""

    def __init__(self, rows: list[tuple[int, str, dict[str, Any]]], delay: float) -> None:
        self.rows, self.delay = rows, delay

    async def execute(self, _statement: Any) -> _Rows:
        await asyncio.sleep(self.delay)
        return _Rows(self.rows)


def _commit_event(event_id: int, available: int) -> tuple[int, str, dict[str, Any]]:
    payload = {
        "productId": TEE_ID,
        "locationId": LOOP,
        "reason": "COMMIT",
        "available": available,
        "incoming": 0,
    }
    return (event_id, "inventory.changed", payload)


async def test_a_slower_catch_up_never_puts_back_older_stock(plain: Settings, db: Database) -> None:
    services = _core(plain, db, Clock())
    snapshot = services.stock_snapshot
    snapshot._position = 10
    snapshot._store(TEE_ID, stock_snapshot.SkuStock({LOOP: 10}, (), 1000.0))
    await services.broker.announce(11)
    # The first look reads event 11 and is slow; meanwhile 12 commits and a second look
    # reads both and finishes first.
    slow = asyncio.create_task(snapshot._catch_up(_SlowOutbox([_commit_event(11, 9)], 0.05)))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    await services.broker.announce(12)
    both = [_commit_event(11, 9), _commit_event(12, 8)]
    await snapshot._catch_up(_SlowOutbox(both, 0.0))  # type: ignore[arg-type]
    await slow

    assert snapshot._position == 12
    assert dict(snapshot._stock[TEE_ID].available) == {LOOP: 8}
    if not db.is_sqlite:
        return  # handing over its own events is SQLite's (ids visible in order)
    # What this process commits next follows on at once.
    snapshot.committed_here(13, [("inventory.changed", _commit_event(13, 7)[2])])
    assert snapshot._position == 13
    assert dict(snapshot._stock[TEE_ID].available) == {LOOP: 7}


async def test_promises_that_miss_the_same_sku_together_load_it_once(
    plain: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _core(plain, db, Clock())
    await build_network(services)
    load = stock_snapshot._load_stock
    loads = 0

    async def slow_load(*args: Any) -> Any:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)  # a database round trip, during which others arrive
        return await load(*args)

    monkeypatch.setattr(stock_snapshot, "_load_stock", slow_load)
    results = await asyncio.gather(*(delivery_promise(services, TEE) for _ in range(5)))
    assert loads == 1
    assert [tees(result) for result in results] == [111] * 5


async def test_a_load_begun_before_a_drop_is_not_shared(
    plain: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _core(plain, db, Clock())
    await build_network(services)
    await delivery_promise(services, TEE)  # the snapshot is following the outbox
    snapshot = services.stock_snapshot
    snapshot._drop(TEE_ID)
    load = stock_snapshot._load_stock
    first_read = asyncio.Event()

    async def slow_first_load(*args: Any) -> Any:
        loaded = await load(*args)
        if not first_read.is_set():
            first_read.set()
            await asyncio.sleep(0.05)  # read before the change below, returned after it
        return loaded

    monkeypatch.setattr(stock_snapshot, "_load_stock", slow_first_load)
    async with services.db.read_session() as one, services.db.read_session() as other:
        first = asyncio.create_task(snapshot.stock(one, [TEE_ID]))
        await first_read.wait()
        await _take_tees(services, 2)  # committed while the first load is in flight
        snapshot._drop(TEE_ID)  # as the catch-up does for that commit
        second = await snapshot.stock(other, [TEE_ID])
        stale = await first
    assert sum(stale[TEE_ID].available.values()) == 111
    assert sum(second[TEE_ID].available.values()) == 109  # its own read, not the first's
