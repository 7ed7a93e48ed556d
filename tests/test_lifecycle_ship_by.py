"""The ship-by milestone: the deliver-by less the transit the promise assumed, watched by
the SLA monitor like the others."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from omnigraph.domain.promise import Window
from omnigraph.domain.sla import (
    Dispatch,
    Milestone,
    OrderClock,
    business_days_between,
    end_of,
    milestones,
    missed,
    ship_by,
    subtract_business_days,
)
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentStatus, OrderStatus
from omnigraph.testing import Harness
from tests.factories import Network
from tests.lifecycle import (
    RELEASE,
    SHIP,
    done,
    events_since,
    last_event_id,
    pick_and_pack,
    place,
    place_pickup,
)
from tests.test_api_orders import order_input
from tests.test_lifecycle_sla import delay_messages

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday
GRACE = timedelta(hours=1)
STANDARD = DeliveryMethod.SHIP_STANDARD
LATE = """
query($milestones: [SlaMilestone!]) {
  lateOrders(milestones: $milestones) { order { number } milestone dueAt }
}
"""
SHIP_BY = """
query($id: ID!) { node(id: $id) { ... on Order { shipBy promised { earliest latest } } } }
"""


def test_carrier_days_are_counted_and_taken_off_over_weekends() -> None:
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    assert business_days_between(friday, monday) == 1
    assert business_days_between(monday, monday) == 0
    assert subtract_business_days(monday, 1) == friday
    assert subtract_business_days(date(2026, 11, 26), 2) == date(2026, 11, 24)


def test_ship_by_is_the_deliver_by_less_the_transit_of_the_slowest_package() -> None:
    # Leaves Monday, arrives Wednesday at the earliest: two carrier days in transit.
    near = Dispatch(date(2026, 11, 23), Window(date(2026, 11, 25), date(2026, 11, 26)))
    assert ship_by(STANDARD, date(2026, 11, 26), [near]) == end_of(date(2026, 11, 24))
    # Three carrier days from Monday: it must leave by Monday for a Thursday delivery.
    far = Dispatch(date(2026, 11, 23), Window(date(2026, 11, 26), date(2026, 11, 27)))
    assert ship_by(STANDARD, date(2026, 11, 26), [near, far]) == end_of(date(2026, 11, 23))
    # A Monday delivery two carrier days out leaves by Thursday, over the weekend.
    assert ship_by(STANDARD, date(2026, 11, 30), [near]) == end_of(date(2026, 11, 26))
    assert ship_by(DeliveryMethod.PICKUP, date(2026, 11, 26), [near]) is None
    assert ship_by(STANDARD, None, [near]) is None


def test_a_same_day_package_must_leave_by_its_drop_less_the_drive() -> None:
    ready = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    drop = ready + timedelta(minutes=30) + timedelta(minutes=45)
    window = Window(date(2026, 11, 23), date(2026, 11, 23), ready_at=ready, deliver_by=drop)
    due = ship_by(DeliveryMethod.SAME_DAY, date(2026, 11, 23), [Dispatch(window.earliest, window)])
    assert due == drop - timedelta(minutes=45)


def test_ship_by_is_missed_until_every_customer_parcel_has_left() -> None:
    due = datetime(2026, 11, 25, tzinfo=UTC)

    def clock(*fos: FulfillmentStatus) -> OrderClock:
        return OrderClock(OrderStatus.IN_PROGRESS, STANDARD, NOW, date(2026, 11, 26), fos, due)

    assert milestones(clock(), GRACE)[Milestone.SHIP_BY] == due
    packed = clock(FulfillmentStatus.PACKED, FulfillmentStatus.SHIPPED)
    assert set(missed(packed, due, GRACE)) == {Milestone.SHIP_BY}
    assert Milestone.SHIP_BY not in missed(packed, due - timedelta(seconds=1), GRACE)
    gone = clock(FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED)
    assert Milestone.SHIP_BY not in missed(gone, due + timedelta(days=1), GRACE)


async def promised(harness: Harness, order_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await harness.graphql(SHIP_BY, {"id": order_id}))["node"]
    return node


async def test_an_order_not_shipped_by_its_ship_by_is_breached_listed_and_told(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    order = await place(harness, order_input())
    view = await promised(harness, order["id"])
    due = datetime.fromisoformat(view["shipBy"])
    deliver_by = end_of(date.fromisoformat(view["promised"]["latest"]))
    # It leaves after capture and, a ground parcel taking days, well before the deliver-by.
    assert NOW < due <= deliver_by - timedelta(days=1)
    await done(harness, RELEASE, orderId=order["id"])
    monitor = harness.app.state.sla_monitor

    harness.services.clock = lambda: due - timedelta(seconds=1)
    await monitor.run_once()
    assert (await harness.graphql(LATE))["lateOrders"] == []

    harness.services.clock = lambda: due
    before = await last_event_id(harness)
    await monitor.run_once()
    [breach] = await events_since(harness, before, ["sla.breached"])
    assert breach.payload["milestone"] == "SHIP_BY"
    assert datetime.fromisoformat(breach.payload["dueAt"]) == due
    [message] = await delay_messages(harness)
    assert "has not left our store or warehouse yet" in message.body
    assert order["number"] in (message.subject or "")
    late = (await harness.graphql(LATE, {"milestones": ["SHIP_BY"]}))["lateOrders"]
    assert [(row["order"]["number"], row["milestone"]) for row in late] == [
        (order["number"], "SHIP_BY")
    ]
    assert (await harness.graphql(LATE, {"milestones": ["DELIVER_BY"]}))["lateOrders"] == []

    # Running again reports and sends nothing new.
    again = await last_event_id(harness)
    await monitor.run_once()
    assert await last_event_id(harness) == again
    assert len(await delay_messages(harness)) == 1


async def test_an_order_shipped_in_time_and_a_pickup_have_no_ship_by_breach(
    harness: Harness, network: Network
) -> None:
    harness.services.clock = lambda: NOW
    order = await place(harness, order_input())
    pickup = await place_pickup(harness, network.loop, "TEE-001", 1)
    assert (await promised(harness, pickup["id"]))["shipBy"] is None
    due = datetime.fromisoformat((await promised(harness, order["id"]))["shipBy"])
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    await pick_and_pack(harness, fo["id"], "TEE-001", 2)
    await done(harness, SHIP, fulfillmentOrderId=fo["id"])

    harness.services.clock = lambda: due + timedelta(hours=1)
    before = await last_event_id(harness)
    await harness.app.state.sla_monitor.run_once()
    milestones_missed = [
        (e.payload["orderId"], e.payload["milestone"])
        for e in await events_since(harness, before, ["sla.breached"])
    ]
    assert all(milestone != "SHIP_BY" for _, milestone in milestones_missed)
