"""The express path of order capture on SQLite: what it takes, what it hands to the general
path, that it writes what the general path writes, and that a plan whose stock, threshold or
capacity moved under it writes nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from omnigraph.db.models import (
    Customer,
    FulfillmentOrder,
    FulfillmentOrderLine,
    InventoryLevel,
    InventoryMovement,
    Location,
    Order,
    OrderLine,
    OrderSourcingDecision,
    OutboxEvent,
    TimelineEntry,
)
from omnigraph.domain.orders import (
    Address,
    CustomerDetails,
    LineRequest,
    OrderRequest,
    order_number,
)
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services import express_orders, orders
from omnigraph.services.core import Services
from omnigraph.services.sourcing_rules import MethodRuleInput, set_method_rule
from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_api_orders import ADDRESS, order_input

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
CREATE = """
mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) {
    order { id status lines { quantity } fulfillmentOrders { location { code } } }
    replayed
    userErrors { field code message }
  }
}
"""

pytestmark = pytest.mark.usefixtures("network")


@pytest.fixture
def services(harness: Harness) -> Services:
    if not harness.services.db.is_sqlite:
        pytest.skip("the express capture is the SQLite writer's; PostgreSQL takes the general path")
    harness.services.clock = lambda: NOW
    return harness.services


def request(quantity: int = 2, sku: str = "TEE-001", **extra: Any) -> OrderRequest:
    fields: dict[str, Any] = {
        "channel": "WEB",
        "method": DeliveryMethod.SHIP_STANDARD,
        "lines": [LineRequest(sku, quantity)],
        "customer": CustomerDetails("ada@example.com", "Ada Lovelace"),
        "shipping_address": Address(**_address()),
    }
    return OrderRequest(**(fields | extra))


def _address() -> dict[str, Any]:
    names = {"postalCode": "postal_code"}
    return {names.get(key, key): value for key, value in ADDRESS.items()}


def no_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*_: Any) -> Any:
        raise AssertionError("the general path ran")

    monkeypatch.setattr(orders, "_attempt", refuse)


def no_express_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(express_orders, "applies", lambda *_: False)


def counting_express(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the express path wrote an order."""
    written: list[int] = []
    real = express_orders.write_orders

    def write(db: Any, items: Any) -> Any:
        answers = real(db, items)
        written.extend(a.order.id for a in answers if isinstance(a, express_orders.Captured))
        return answers

    monkeypatch.setattr(express_orders, "write_orders", write)
    return written


async def totals(services: Services) -> dict[str, Any]:
    async with services.db.read_session() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Order, OrderLine, FulfillmentOrder, InventoryMovement, OutboxEvent)
        } | {"committed": await session.scalar(select(func.sum(InventoryLevel.committed)))}


def _columns(row: Any, *left_out: str) -> dict[str, Any]:
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in {"id", *left_out}
    }


async def written(services: Services, order_id: int) -> dict[str, Any]:
    """Every row the capture of ``order_id`` wrote, its own ids replaced by their places."""
    async with services.db.read_session() as session:
        order = await session.get(Order, order_id)
        assert order is not None
        lines = list(
            await session.scalars(
                select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
            )
        )
        fulfilments = list(
            await session.scalars(
                select(FulfillmentOrder)
                .where(FulfillmentOrder.order_id == order_id)
                .order_by(FulfillmentOrder.id)
            )
        )
        line_ids = {line.id: f"line {n}" for n, line in enumerate(lines)}
        fulfilment_ids = {fo.id: f"fulfilment {n}" for n, fo in enumerate(fulfilments)}
        fulfilment_lines = list(
            await session.scalars(
                select(FulfillmentOrderLine)
                .where(FulfillmentOrderLine.fulfillment_order_id.in_([fo.id for fo in fulfilments]))
                .order_by(FulfillmentOrderLine.id)
            )
        )
        timeline = list(
            await session.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.order_id == order_id)
                .order_by(TimelineEntry.id)
            )
        )
        decision = await session.scalar(
            select(OrderSourcingDecision).where(OrderSourcingDecision.order_id == order_id)
        )
        movements = list(
            await session.scalars(
                select(InventoryMovement)
                .where(InventoryMovement.order_id == order_id)
                .order_by(InventoryMovement.id)
            )
        )
        events = list(
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.order_id == order_id).order_by(OutboxEvent.id)
            )
        )

    def fulfilment(value: int) -> str:
        return fulfilment_ids[value]

    def subject(entry: TimelineEntry) -> Any:
        return "order" if entry.subject_type == "ORDER" else fulfilment(entry.subject_id)

    def aggregate(event: OutboxEvent) -> Any:
        kinds = {"order": lambda _: "order", "fulfillment_order": fulfilment}
        return kinds.get(event.aggregate_type, lambda _: "level")(event.aggregate_id)

    def payload(event: OutboxEvent) -> dict[str, Any]:
        facts = dict(event.payload)
        if "orderId" in facts:
            facts["orderId"] = "order" if facts["orderId"] == order_id else facts["orderId"]
        if "fulfillmentOrderId" in facts:
            facts["fulfillmentOrderId"] = fulfilment(facts["fulfillmentOrderId"])
        if facts.get("number") == order_number(order_id):
            facts["number"] = "number"
        return facts

    assert decision is not None
    return {
        "order": _columns(order),
        "lines": [_columns(line, "order_id") for line in lines],
        "fulfilments": [_columns(fo, "order_id") for fo in fulfilments],
        "fulfilment lines": [
            (fulfilment(row.fulfillment_order_id), line_ids[row.order_line_id], row.quantity)
            for row in fulfilment_lines
        ],
        "timeline": [
            {**_columns(entry, "order_id"), "subject_id": subject(entry)} for entry in timeline
        ],
        "decision": _columns(decision, "order_id"),
        "movements": [_columns(movement, "order_id") for movement in movements],
        "events": [
            (
                event.topic,
                event.aggregate_type,
                aggregate(event),
                event.actor,
                event.occurred_at,
                payload(event),
            )
            for event in events
        ],
    }


async def test_a_delivery_order_is_captured_the_express_way(
    harness: Harness, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_general_path(monkeypatch)
    before = await totals(services)

    payload = (await harness.graphql(CREATE, {"input": order_input()}))["createOrder"]

    assert payload["userErrors"] == []
    assert payload["order"]["lines"] == [{"quantity": 2}]
    assert len(payload["order"]["fulfillmentOrders"]) == 1
    after = await totals(services)
    assert after["committed"] == before["committed"] + 2
    assert after["orders"] == before["orders"] + 1
    # fulfillment.created, inventory.changed and order.created
    assert after["outbox_events"] == before["outbox_events"] + 3


async def test_both_paths_write_the_same_order(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    express = counting_express(monkeypatch)
    first = await orders.create_order(services, request())
    assert express == [first.order.id]
    captured = await written(services, first.order.id)
    # Given back, so the general path starts from the same stock and sources the same way.
    await orders.cancel_order(services, first.order.id, "parity check")
    no_express_path(monkeypatch)

    second = await orders.create_order(services, request())

    assert express == [first.order.id]
    assert await written(services, second.order.id) == captured


async def test_both_paths_write_the_same_order_of_several_lines(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    express = counting_express(monkeypatch)
    lines = [LineRequest("TEE-001", 4), LineRequest("MUG-002", 1), LineRequest("LAMP-003", 2)]
    first = await orders.create_order(services, request(lines=lines))
    assert express == [first.order.id]
    captured = await written(services, first.order.id)
    await orders.cancel_order(services, first.order.id, "parity check")
    no_express_path(monkeypatch)

    second = await orders.create_order(services, request(lines=lines))

    assert await written(services, second.order.id) == captured
    assert len(captured["lines"]) == 3


# Every column holding a time, as SQLite stores it: the text itself, not the parsed value
# (a time with no microseconds must keep its ".000000", or day-boundary queries miscount).
_TIMES = {
    "orders": ("created_at", "updated_at", "remorse_ends_at"),
    "fulfillment_orders": ("created_at", "updated_at"),
    "order_timeline": ("occurred_at",),
    "order_sourcing_decisions": ("created_at",),
    "inventory_movements": ("created_at",),
    "outbox_events": ("occurred_at",),
}


async def stored_times(services: Services, order_id: int) -> dict[str, list[tuple[str, ...]]]:
    found: dict[str, list[tuple[str, ...]]] = {}
    async with services.db.read_session() as session:
        for table, columns in _TIMES.items():
            key = "id" if table == "orders" else "order_id"
            rows = await session.execute(
                text(f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = :id ORDER BY id"),
                {"id": order_id},
            )
            found[table] = [tuple(row) for row in rows]
    return found


async def test_times_are_stored_as_the_general_path_stores_them(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert NOW.microsecond == 0  # the case where the two forms could differ
    express = counting_express(monkeypatch)
    first = await orders.create_order(services, request())
    assert express == [first.order.id]
    stored = await stored_times(services, first.order.id)
    await orders.cancel_order(services, first.order.id, "parity check")
    no_express_path(monkeypatch)

    second = await orders.create_order(services, request())

    assert await stored_times(services, second.order.id) == stored
    assert stored["orders"][0][0] == "2026-03-04 15:00:00.000000"


async def test_the_answer_shows_the_rows_written(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_general_path(monkeypatch)
    outcome = await orders.create_order(services, request(quantity=3))
    assert outcome.written is not None
    stored = await written(services, outcome.order.id)
    assert _columns(outcome.order) == stored["order"]
    assert [_columns(line, "order_id") for line in outcome.written.lines] == stored["lines"]
    assert [_columns(fo, "order_id") for fo in outcome.written.fulfilments] == stored["fulfilments"]


async def test_a_first_order_creates_the_customer_as_the_general_path_does(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    express = counting_express(monkeypatch)
    customer = CustomerDetails("New.Buyer@Example.com", "New Buyer", "+1 312 555 0100")
    outcome = await orders.create_order(services, request(customer=customer))
    assert express == [outcome.order.id]
    async with services.db.read_session() as session:
        row = await session.get(Customer, outcome.order.customer_id)
    assert row is not None
    assert (row.email, row.name, row.phone, row.tier) == (
        "new.buyer@example.com",
        "New Buyer",
        "+1 312 555 0100",
        "STANDARD",
    )


async def test_a_repeated_idempotency_key_is_replayed_by_the_general_path(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    express = counting_express(monkeypatch)
    first = await orders.create_order(services, request(idempotency_key="checkout-1"))
    before = await totals(services)

    again = await orders.create_order(services, request(idempotency_key="checkout-1"))

    assert express == [first.order.id]
    assert again.replayed and again.order.id == first.order.id
    assert await totals(services) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"method": DeliveryMethod.PICKUP, "shipping_address": None, "pickup_location_id": 2},
        {"requested_date": (NOW + timedelta(days=10)).date()},
    ],
    ids=["pickup", "requested date"],
)
async def test_other_orders_take_the_general_path(
    services: Services, monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any]
) -> None:
    express = counting_express(monkeypatch)
    outcome = await orders.create_order(services, request(quantity=1, **changes))
    assert outcome.order.id and express == []


async def test_an_invalid_order_gets_the_general_paths_errors(
    harness: Harness, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    express = counting_express(monkeypatch)
    before = await totals(services)
    payload = (
        await harness.graphql(
            CREATE, {"input": order_input(lines=[{"sku": "NOPE-404", "quantity": 1}])}
        )
    )["createOrder"]
    assert payload["order"] is None
    assert [error["code"] for error in payload["userErrors"]] == ["UNKNOWN_SKU"]
    assert express == [] and await totals(services) == before


async def assert_stale_and_nothing_written(services: Services, prepared: Any) -> None:
    """The writer refuses the plan as stale and leaves stock, orders and events as they were."""
    before = await totals(services)
    with pytest.raises(express_orders.StaleStock):
        await services.db.sqlite_writer.run(lambda db: express_orders.write_order(prepared, db))
    assert await totals(services) == before


async def set_damaged(services: Services, taking: Any, damaged: Any) -> None:
    async with services.unit_of_work() as uow:
        await uow.session.execute(
            update(InventoryLevel)
            .where(
                InventoryLevel.location_id == taking.location_id,
                InventoryLevel.product_id == taking.product_id,
            )
            .values(damaged=damaged)
        )
        await uow.commit()


async def test_a_plan_whose_units_were_taken_writes_nothing(services: Services) -> None:
    prepared = await express_orders.prepare(services, request(quantity=3))
    [taking] = prepared.takings
    await set_damaged(services, taking, InventoryLevel.on_hand - 2)
    await assert_stale_and_nothing_written(services, prepared)


async def test_a_plan_below_the_minimum_stock_now_writes_nothing(
    services: Services, network: Network
) -> None:
    await set_method_rule(
        services, MethodRuleInput(method=DeliveryMethod.SHIP_STANDARD, min_stock={"STORE": 3})
    )
    prepared = await express_orders.prepare(services, request(quantity=1))
    [taking] = prepared.takings
    assert taking.location_id == network.loop and taking.need == 3  # the store holds 3 tees
    # One tee is damaged: 2 are left, one more than the order needs, one fewer than the rule.
    await set_damaged(services, taking, InventoryLevel.damaged + 1)
    await assert_stale_and_nothing_written(services, prepared)


async def test_a_plan_at_a_location_that_filled_up_today_writes_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    [taking] = (await express_orders.prepare(services, request(quantity=1))).takings
    async with services.unit_of_work() as uow:
        await uow.session.execute(
            update(Location).where(Location.id == taking.location_id).values(daily_capacity=1)
        )
        await uow.commit()
    services.catalog.invalidate()
    prepared = await express_orders.prepare(services, request(quantity=1))
    assert [location for location, _, _ in prepared.capped] == [taking.location_id]
    no_express_path(monkeypatch)
    await orders.create_order(services, request(quantity=1))  # the day's one order there
    await assert_stale_and_nothing_written(services, prepared)


async def test_orders_queued_together_are_written_as_one_batch(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    real = express_orders.write_orders

    def write(db: Any, items: Any) -> Any:
        batches.append(len(items))
        return real(db, items)

    monkeypatch.setattr(express_orders, "write_orders", write)
    no_general_path(monkeypatch)
    placed = await asyncio.gather(*(orders.create_order(services, request(1)) for _ in range(6)))

    assert max(batches) > 1  # at least some of them shared a batch
    assert len({outcome.order.id for outcome in placed}) == 6
    by_level: dict[int, list[int]] = {}
    for outcome in sorted(placed, key=lambda outcome: outcome.order.id):
        shape = await written(services, outcome.order.id)  # its rows point at its own rows
        assert len(shape["lines"]) == len(shape["fulfilments"]) == len(shape["movements"]) == 1
        assert [event[0] for event in shape["events"]] == [
            "fulfillment.created",
            "inventory.changed",
            "order.created",
        ]
        async with services.db.read_session() as session:
            [change] = await session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.order_id == outcome.order.id,
                    OutboxEvent.topic == "inventory.changed",
                )
            )
        by_level.setdefault(change.aggregate_id, []).append(change.payload["available"])
    # Each order's ledger event shows its level as that order left it, in queue order.
    for left in by_level.values():
        assert left == sorted(left, reverse=True) and len(set(left)) == len(left)
    assert sum(len(left) for left in by_level.values()) == 6


async def test_one_key_twice_in_a_batch_places_one_order(services: Services) -> None:
    first, second = await asyncio.gather(
        orders.create_order(services, request(1, idempotency_key="twice")),
        orders.create_order(services, request(1, idempotency_key="twice")),
    )
    assert first.order.id == second.order.id
    assert sorted([first.replayed, second.replayed]) == [False, True]


async def test_a_batch_never_fills_a_location_past_its_capacity(
    services: Services, network: Network
) -> None:
    async with services.unit_of_work() as uow:
        await uow.session.execute(
            update(Location).where(Location.id == network.loop).values(daily_capacity=2)
        )
        await uow.commit()
    services.catalog.invalidate()

    await asyncio.gather(*(orders.create_order(services, request(1)) for _ in range(5)))

    async with services.db.read_session() as session:
        at_loop = await session.scalar(
            select(func.count())
            .select_from(FulfillmentOrder)
            .where(FulfillmentOrder.location_id == network.loop)
        )
    assert at_loop == 2


async def capped_at_loop(services: Services, network: Network, capacity: int) -> None:
    async with services.unit_of_work() as uow:
        await uow.session.execute(
            update(Location).where(Location.id == network.loop).values(daily_capacity=capacity)
        )
        await uow.commit()
    services.catalog.invalidate()


async def open_at(services: Services, location_id: int) -> int:
    async with services.db.read_session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(FulfillmentOrder)
            .where(
                FulfillmentOrder.location_id == location_id,
                FulfillmentOrder.status != "CANCELLED",
            )
        )
    return int(count or 0)


async def test_capacity_holds_from_one_batch_to_the_next(
    services: Services, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    await capped_at_loop(services, network, 2)
    written = counting_express(monkeypatch)
    for _ in range(4):  # one at a time: each its own batch
        await orders.create_order(services, request(1))
    assert len(written) >= 2
    assert await open_at(services, network.loop) == 2


async def test_a_cancellation_through_another_connection_frees_a_place_for_the_next_batch(
    services: Services, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    await capped_at_loop(services, network, 2)
    written = counting_express(monkeypatch)
    first = await orders.create_order(services, request(1))
    await orders.create_order(services, request(1))
    assert len(written) == 2 and await open_at(services, network.loop) == 2
    await orders.cancel_order(services, first.order.id, "changed my mind")  # the general path
    assert await open_at(services, network.loop) == 1

    third = await orders.create_order(services, request(1))
    assert written[-1] == third.order.id  # the express path placed it ...
    assert await open_at(services, network.loop) == 2  # ... at the place the cancel freed


class _Crash(BaseException):
    """Ends a writer batch with its whole transaction rolled back."""


async def test_an_order_whose_batch_was_rolled_back_takes_no_place(
    services: Services, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    await capped_at_loop(services, network, 1)
    prepared = await express_orders.prepare(services, request(1))
    assert [location for location, _, _ in prepared.capped] == [network.loop]
    writer = services.db.sqlite_writer

    def crash(_: Any) -> None:
        raise _Crash

    # Queued together, so one batch: the order is written, then the crash rolls it all back.
    placed = writer.run_batched(express_orders.write_orders, prepared)
    crashed = writer.run(crash)
    for future in (placed, crashed):
        with pytest.raises(_Crash):
            await future
    assert await open_at(services, network.loop) == 0

    written_here = counting_express(monkeypatch)
    outcome = await orders.create_order(services, request(1))
    assert written_here == [outcome.order.id]  # the express path found the place free
    shape = await written(services, outcome.order.id)
    assert [fo["location_id"] for fo in shape["fulfilments"]] == [network.loop]


async def test_a_plan_made_before_midnight_counts_the_orders_written_after_it(
    services: Services, network: Network
) -> None:
    await capped_at_loop(services, network, 2)
    [(_, day_start, _)] = (await express_orders.prepare(services, request(1))).capped
    midnight = day_start + timedelta(days=1)
    services.clock = lambda: midnight - timedelta(seconds=30)
    await orders.create_order(services, request(1))  # the day's first at the store
    late = await express_orders.prepare(services, request(1))  # planned before midnight ...
    services.clock = lambda: midnight + timedelta(seconds=30)
    await orders.create_order(services, request(1))  # ... and the new day's first

    # Since the old day began the store has taken two orders: the late plan no longer fits.
    with pytest.raises(express_orders.StaleStock):
        await services.db.sqlite_writer.run_batched(express_orders.write_orders, late)
    assert await open_at(services, network.loop) == 2
