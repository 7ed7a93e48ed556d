"""The SLA monitor: missed milestones become events, delay messages and a late-orders list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from omnigraph.db.models import Notification
from omnigraph.domain.sla import Milestone, OrderClock, end_of, milestones, missed
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentStatus, OrderStatus
from omnigraph.testing import Harness
from tests.factories import Network
from tests.lifecycle import (
    READY,
    RELEASE,
    done,
    events_since,
    last_event_id,
    pick_and_pack,
    place,
    place_pickup,
    read_order,
)
from tests.test_api_orders import order_input

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
GRACE = timedelta(hours=1)
LATE = """
query($milestones: [SlaMilestone!], $channels: [String!], $locationIds: [ID!]) {
  lateOrders(milestones: $milestones, channels: $channels, locationIds: $locationIds) {
    order { number status } milestone dueAt
  }
}
"""


def clock(status: OrderStatus, method: DeliveryMethod, *fos: FulfillmentStatus) -> OrderClock:
    return OrderClock(status, method, NOW, date(2026, 11, 25), fos)


def test_milestones_come_from_the_remorse_window_and_the_promise() -> None:
    ship = milestones(clock(OrderStatus.PENDING, DeliveryMethod.SHIP_STANDARD), GRACE)
    assert ship == {
        Milestone.RELEASE_BY: NOW + GRACE,
        Milestone.DELIVER_BY: datetime(2026, 11, 26, tzinfo=UTC),
    }
    pickup = milestones(clock(OrderStatus.PENDING, DeliveryMethod.PICKUP), GRACE)
    assert set(pickup) == {Milestone.RELEASE_BY, Milestone.READY_BY}
    assert end_of(date(2026, 11, 25)) == datetime(2026, 11, 26, tzinfo=UTC)


def test_a_milestone_is_missed_only_once_due_and_not_met() -> None:
    pending = clock(OrderStatus.PENDING, DeliveryMethod.SHIP_STANDARD)
    assert missed(pending, NOW + GRACE - timedelta(seconds=1), GRACE) == {}
    assert set(missed(pending, NOW + GRACE, GRACE)) == {Milestone.RELEASE_BY}
    released = clock(OrderStatus.RELEASED, DeliveryMethod.SHIP_STANDARD)
    late = datetime(2026, 11, 26, 0, 1, tzinfo=UTC)
    assert set(missed(released, late, GRACE)) == {Milestone.DELIVER_BY}
    staged = clock(
        OrderStatus.IN_PROGRESS, DeliveryMethod.PICKUP, FulfillmentStatus.READY_FOR_PICKUP
    )
    assert missed(staged, late, GRACE) == {}
    picking = clock(OrderStatus.IN_PROGRESS, DeliveryMethod.PICKUP, FulfillmentStatus.PICKING)
    assert set(missed(picking, late, GRACE)) == {Milestone.READY_BY}
    done_ = clock(OrderStatus.COMPLETED, DeliveryMethod.SHIP_STANDARD)
    assert missed(done_, late, GRACE) == {}


async def delay_messages(harness: Harness) -> list[Notification]:
    async with harness.services.db.read_session() as session:
        return list(
            await session.scalars(
                select(Notification)
                .where(Notification.template == "order_delay")
                .order_by(Notification.id)
            )
        )


async def test_a_missed_release_is_announced_once_listed_and_the_customer_told(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    order = await place(harness, order_input())
    monitor = harness.app.state.sla_monitor

    harness.services.clock = lambda: NOW + timedelta(minutes=89)
    await monitor.run_once()
    assert (await harness.graphql(LATE))["lateOrders"] == []

    # 30 minutes of remorse and an hour's grace later, the order is still not released.
    harness.services.clock = lambda: NOW + timedelta(minutes=90)
    before = await last_event_id(harness)
    await monitor.run_once()
    [breach] = await events_since(harness, before, ["sla.breached"])
    assert breach.payload["milestone"] == "RELEASE_BY"
    assert breach.payload["dueAt"] == (NOW + timedelta(minutes=90)).isoformat()
    [message] = await delay_messages(harness)
    assert message.recipient == "ada@example.com"
    assert order["number"] in (message.subject or "")
    late = (await harness.graphql(LATE))["lateOrders"]
    assert [(row["order"]["number"], row["milestone"]) for row in late] == [
        (order["number"], "RELEASE_BY")
    ]
    timeline = (await read_order(harness, order["id"]))["timeline"]
    assert timeline[-1]["subjectType"] == "SLA"
    assert timeline[-1]["toStatus"] == "MISSED_RELEASE_BY"
    assert timeline[-1]["actor"] == "scheduler:sla"

    # Running again reports and sends nothing new.
    again = await last_event_id(harness)
    await monitor.run_once()
    assert await last_event_id(harness) == again
    assert len(await delay_messages(harness)) == 1

    filters = {
        "milestones": ["DELIVER_BY"],
        "channels": ["POS"],
        "locationIds": [str(network.evanston)],
    }
    for name, value in filters.items():
        assert (await harness.graphql(LATE, {name: value}))["lateOrders"] == []
    assert (await harness.graphql(LATE, {"locationIds": [str(network.loop)]}))["lateOrders"]

    # Released at last, then neither shipped nor delivered by the promised day: the
    # ship-by (the deliver-by less the transit) and the deliver-by are missed too.
    await done(harness, RELEASE, orderId=order["id"])
    promised = date.fromisoformat(
        (
            await harness.graphql(
                "query($id: ID!) { node(id: $id) { ... on Order { promised { latest } } } }",
                {"id": order["id"]},
            )
        )["node"]["promised"]["latest"]
    )
    harness.services.clock = lambda: end_of(promised)
    await monitor.run_once()
    late = (await harness.graphql(LATE))["lateOrders"]
    assert sorted(row["milestone"] for row in late) == ["DELIVER_BY", "RELEASE_BY", "SHIP_BY"]
    assert len(await delay_messages(harness)) == 3

    await harness.graphql(
        """mutation($input: CancelOrderInput!) {
          cancelOrder(input: $input) { order { status } } }""",
        {"input": {"orderId": order["id"]}},
    )
    assert (await harness.graphql(LATE))["lateOrders"] == []


async def test_a_pickup_staged_in_time_misses_nothing(harness: Harness, network: Network) -> None:
    harness.services.clock = lambda: NOW
    order = await place_pickup(harness, network.loop, "TEE-001", 1)
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await pick_and_pack(harness, fo["id"], "TEE-001")
    await done(harness, READY, fulfillmentOrderId=fo["id"])
    harness.services.clock = lambda: NOW + timedelta(days=30)
    await harness.app.state.sla_monitor.run_once()
    assert (await harness.graphql(LATE))["lateOrders"] == []
    assert await delay_messages(harness) == []
