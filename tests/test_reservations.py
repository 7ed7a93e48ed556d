"""Checkout reservations: hold, extend, replace, release, expire, convert into an order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from omnigraph.app import create_app
from omnigraph.db.migrate import upgrade
from omnigraph.db.models import InventoryLevel, InventoryMovement, OutboxEvent, Reservation
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.reservations import (
    HeldLine,
    ReservationStatus,
    check_active,
    check_convertible,
    effective_status,
    reservation_ttl,
)
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services import express_holds_sqlite, express_orders, reservations
from omnigraph.services.sourcing_rules import MethodRuleInput, set_method_rule
from omnigraph.settings import Settings, SettingsError
from omnigraph.testing import Harness, serve_app
from tests.factories import HOME, Network, ledger_discrepancies
from tests.test_api_orders import CREATE, order_input
from tests.test_no_oversell import RESERVE

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
RELEASE = """
mutation Release($input: ReleaseReservationInput!) {
  releaseReservation(input: $input) {
    reservation { id status endedAt }
    userErrors { field code message }
  }
}
"""
READ = """
query Read($id: ID, $cartId: String) {
  reservation(id: $id, cartId: $cartId) {
    id cartId status expiresAt lines { quantity location { code } product { sku } }
  }
}
"""


@pytest.fixture
def clock(harness: Harness) -> list[datetime]:
    """The app's clock, moved by tests: ``clock[0] += timedelta(...)``."""
    now = [NOW]
    harness.services.clock = lambda: now[0]
    return now


def cart(cart_id: str = "cart-1", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "cartId": cart_id,
        "lines": [{"sku": "TEE-001", "quantity": 2}],
        "destination": HOME,
    }
    base.update(changes)
    return base


async def reserve(harness: Harness, cart_id: str = "cart-1", **changes: Any) -> dict[str, Any]:
    query = RESERVE.replace("reservation {", "replayed reservation { expiresAt")
    data = await harness.graphql(query, {"input": cart(cart_id, **changes)})
    payload: dict[str, Any] = data["reserveInventory"]
    return payload


async def level(harness: Harness, location_id: int, product_id: int) -> InventoryLevel:
    async with harness.services.db.read_session() as session:
        row = await session.scalar(
            select(InventoryLevel).where(
                InventoryLevel.location_id == location_id, InventoryLevel.product_id == product_id
            )
        )
        assert row is not None
        return row


async def stored_status(harness: Harness, reservation_id: int) -> str:
    async with harness.services.db.read_session() as session:
        row = await session.get(Reservation, reservation_id)
        assert row is not None
        return row.status


def db_id(global_id: str) -> int:
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])


# -- domain -----------------------------------------------------------------------------------


def test_ttl_defaults_and_bounds() -> None:
    assert reservation_ttl(None) == timedelta(minutes=15)
    assert reservation_ttl(30) == timedelta(seconds=30)
    assert reservation_ttl(7200) == timedelta(hours=2)
    for bad in (29, 7201, 0, -5):
        with pytest.raises(DomainError) as caught:
            reservation_ttl(bad)
        assert caught.value.code is ErrorCode.OUT_OF_RANGE


def test_a_due_hold_reads_expired_and_cannot_be_used() -> None:
    assert effective_status(ReservationStatus.ACTIVE, NOW, NOW) is ReservationStatus.EXPIRED
    later = NOW + timedelta(seconds=1)
    assert effective_status(ReservationStatus.ACTIVE, later, NOW) is ReservationStatus.ACTIVE
    assert effective_status(ReservationStatus.RELEASED, NOW, later) is ReservationStatus.RELEASED
    with pytest.raises(DomainError) as expired:
        check_active(ReservationStatus.ACTIVE, NOW, NOW)
    assert expired.value.code is ErrorCode.RESERVATION_EXPIRED
    with pytest.raises(DomainError) as converted:
        check_active(ReservationStatus.CONVERTED, later, NOW)
    assert converted.value.code is ErrorCode.RESERVATION_NOT_ACTIVE


def test_converting_needs_exactly_the_held_lines_and_place() -> None:
    held = [HeldLine(1, "A", 2), HeldLine(3, "A", 1)]
    check_convertible(held, [LineRequest("A", 3)], DeliveryMethod.SHIP_STANDARD, None)
    for ordered in ([LineRequest("A", 2)], [LineRequest("A", 3), LineRequest("B", 1)]):
        with pytest.raises(DomainError) as caught:
            check_convertible(held, ordered, DeliveryMethod.SHIP_STANDARD, None)
        assert caught.value.code is ErrorCode.RESERVATION_MISMATCH
    with pytest.raises(DomainError) as elsewhere:
        check_convertible([HeldLine(1, "A", 1)], [LineRequest("A", 1)], DeliveryMethod.PICKUP, 2)
    assert elsewhere.value.code is ErrorCode.RESERVATION_MISMATCH


def test_sweep_interval_setting() -> None:
    assert Settings.from_env({}).reservation_sweep_seconds == 5
    env = {"OMNIGRAPH_RESERVATION_SWEEP_SECONDS": "30"}
    assert Settings.from_env(env).reservation_sweep_seconds == 30
    with pytest.raises(SettingsError):
        Settings.from_env({"OMNIGRAPH_RESERVATION_SWEEP_SECONDS": "0"})


# -- holding ----------------------------------------------------------------------------------


async def test_reserve_holds_stock_says_where_and_writes_ledger_and_events(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    payload = await reserve(harness, ttlSeconds=600)

    assert payload["userErrors"] == []
    reservation = payload["reservation"]
    assert reservation["status"] == "ACTIVE"
    assert reservation["lines"] == [{"quantity": 2, "location": {"code": "ST-LOOP"}}]
    assert datetime.fromisoformat(reservation["expiresAt"]) == NOW + timedelta(minutes=10)
    loop_tees = await level(harness, network.loop, 1)
    assert (loop_tees.reserved, loop_tees.committed) == (2, 0)
    async with harness.services.db.read_session() as session:
        moves = list(
            await session.scalars(
                select(InventoryMovement).where(InventoryMovement.reason == "RESERVATION")
            )
        )
        topics = [e.topic for e in await session.scalars(select(OutboxEvent))]
    assert [(m.location_id, m.bucket, m.delta) for m in moves] == [(network.loop, "RESERVED", 2)]
    assert topics == ["inventory.changed"]
    assert await ledger_discrepancies(harness.services) == []


async def test_same_cart_same_request_extends_and_holds_nothing_twice(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    first = await reserve(harness)
    clock[0] += timedelta(minutes=10)
    again = await reserve(harness, ttlSeconds=1800)

    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["reservation"]["id"] == first["reservation"]["id"]
    assert datetime.fromisoformat(again["reservation"]["expiresAt"]) == clock[0] + timedelta(
        minutes=30
    )
    assert (await level(harness, network.loop, 1)).reserved == 2
    assert await ledger_discrepancies(harness.services) == []


async def test_same_cart_different_request_replaces_the_hold_atomically(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    first = await reserve(harness)
    second = await reserve(harness, lines=[{"sku": "TEE-001", "quantity": 3}])

    assert second["reservation"]["id"] != first["reservation"]["id"]
    assert await stored_status(harness, db_id(first["reservation"]["id"])) == "RELEASED"
    # The Loop store has 3 tees: the 2 the old hold gave back are held again with the third.
    assert second["reservation"]["lines"] == [{"quantity": 3, "location": {"code": "ST-LOOP"}}]
    assert (await level(harness, network.loop, 1)).reserved == 3

    refused = await reserve(harness, lines=[{"sku": "TEE-001", "quantity": 500}])
    assert [e["code"] for e in refused["userErrors"]] == ["INSUFFICIENT_STOCK"]
    assert await stored_status(harness, db_id(second["reservation"]["id"])) == "ACTIVE"
    assert (await level(harness, network.loop, 1)).reserved == 3
    assert await ledger_discrepancies(harness.services) == []


async def test_invalid_requests_are_user_errors_and_change_nothing(
    harness: Harness, network: Network
) -> None:
    payload = await reserve(
        harness,
        cartId=" ",
        destination=None,
        ttlSeconds=5,
        lines=[{"sku": "NOPE", "quantity": 1}],
    )
    found = {(tuple(e["field"]), e["code"]) for e in payload["userErrors"]}
    assert found == {
        (("input", "cartId"), "REQUIRED"),
        (("input", "destination"), "REQUIRED"),
        (("input", "ttlSeconds"), "OUT_OF_RANGE"),
        (("input", "lines", "0", "sku"), "UNKNOWN_SKU"),
    }
    short = await reserve(harness, lines=[{"sku": "LAMP-003", "quantity": 13}])
    assert [e["code"] for e in short["userErrors"]] == ["INSUFFICIENT_STOCK"]
    async with harness.services.db.read_session() as session:
        assert list(await session.scalars(select(Reservation))) == []


async def test_pickup_hold_is_at_the_chosen_store(harness: Harness, network: Network) -> None:
    payload = await reserve(
        harness,
        destination=None,
        pickupLocationId=str(network.oak_park),
        lines=[{"sku": "LAMP-003", "quantity": 2}],
    )
    assert payload["reservation"]["lines"] == [{"quantity": 2, "location": {"code": "ST-OAKPARK"}}]


# -- releasing and expiring -------------------------------------------------------------------


async def test_release_gives_the_stock_back_once(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    held = (await reserve(harness))["reservation"]
    released = (await harness.graphql(RELEASE, {"input": {"reservationId": held["id"]}}))[
        "releaseReservation"
    ]
    assert released["userErrors"] == []
    assert released["reservation"]["status"] == "RELEASED"
    again = (await harness.graphql(RELEASE, {"input": {"reservationId": held["id"]}}))[
        "releaseReservation"
    ]
    assert again["reservation"]["status"] == "RELEASED"
    assert (await level(harness, network.loop, 1)).reserved == 0
    assert await ledger_discrepancies(harness.services) == []
    missing = (await harness.graphql(RELEASE, {"input": {"reservationId": "999"}}))[
        "releaseReservation"
    ]
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]


async def test_expiry_is_applied_on_read_and_swept_once(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    held = (await reserve(harness, ttlSeconds=60))["reservation"]
    clock[0] += timedelta(seconds=61)

    read = (await harness.graphql(READ, {"id": held["id"]}))["reservation"]
    assert read["status"] == "EXPIRED"
    assert await stored_status(harness, db_id(held["id"])) == "ACTIVE"
    by_cart = (await harness.graphql(READ, {"cartId": "cart-1"}))["reservation"]
    assert by_cart["id"] == held["id"]

    # The sweeper racing a second sweep and a lazy expiry: the stock comes back once.
    results = await asyncio.gather(
        reservations.sweep_due(harness.services, batch_size=1),
        reservations.expire_due(harness.services),
        reservations.expire_due(harness.services, skus=["TEE-001"]),
    )
    assert sum(results) == 1
    assert await reservations.sweep_due(harness.services) == 0
    assert await stored_status(harness, db_id(held["id"])) == "EXPIRED"
    assert (await level(harness, network.loop, 1)).reserved == 0
    assert await ledger_discrepancies(harness.services) == []


async def test_expiring_by_sku_takes_only_those_skus_holds(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    tee = (await reserve(harness, "tee", ttlSeconds=60))["reservation"]
    mug = await reserve(harness, "mug", ttlSeconds=60, lines=[{"sku": "MUG-002", "quantity": 1}])
    clock[0] += timedelta(seconds=61)

    assert await reservations.expire_due(harness.services, skus=["TEE-001"]) == 1
    assert await stored_status(harness, db_id(tee["id"])) == "EXPIRED"
    assert await stored_status(harness, db_id(mug["reservation"]["id"])) == "ACTIVE"
    assert await reservations.expire_due(harness.services, skus=["NO-SUCH-SKU"]) == 0


async def test_due_holds_of_skus_are_read_by_hold_on_the_migrated_schema(
    empty_database_url: str,
) -> None:
    """The lines of a hot SKU grow with every checkout; a due hold's are read by hold."""
    if not empty_database_url.startswith("sqlite"):
        pytest.skip("SQLite's plan; PostgreSQL's depends on its statistics")
    await upgrade(empty_database_url)
    engine = create_async_engine(empty_database_url)
    query = reservations.due_holds_query(datetime(2026, 3, 4, tzinfo=UTC), [1], 10, by_hold=True)
    compiled = query.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
    # The general path's query, then the express paths' (a hold's, an order's).
    statements = [
        (str(compiled), ()),
        (express_holds_sqlite._DUE.format(ids="1"), ("2026-03-04",)),
        (express_orders._DUE_HOLD.format(ids="1"), ("2026-03-04",)),
    ]
    try:
        async with engine.connect() as connection:
            for statement, parameters in statements:
                rows = await connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
                plan = " ".join(str(row[-1]) for row in rows)
                assert "ix_reservation_lines_reservation_id" in plan, statement
                assert "ix_reservation_lines_product_location" not in plan, statement
    finally:
        await engine.dispose()


async def test_expired_hold_frees_its_stock_for_the_next_buyer_without_the_sweeper(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    # The Loop store's 3 tees and Evanston's 8 are all held by one cart.
    await reserve(harness, "hoarder", lines=[{"sku": "TEE-001", "quantity": 111}])
    blocked = await reserve(harness, "next", lines=[{"sku": "TEE-001", "quantity": 5}])
    assert [e["code"] for e in blocked["userErrors"]] == ["INSUFFICIENT_STOCK"]

    clock[0] += timedelta(minutes=16)
    order = (await harness.graphql(CREATE, {"input": order_input()}))["createOrder"]
    assert order["userErrors"] == []
    assert await stored_status(harness, 1) == "EXPIRED"
    assert await ledger_discrepancies(harness.services) == []


async def test_a_restarted_process_sweeps_what_fell_due(
    harness: Harness, network: Network, clock: list[datetime], settings: Settings
) -> None:
    await reserve(harness, ttlSeconds=30)
    clock[0] += timedelta(minutes=1)
    app = create_app(settings, run_dispatcher=False, run_sweeper=True)
    app.state.services.clock = lambda: clock[0]
    async with serve_app(app):
        sweeper = app.state.reservation_sweeper
        assert sweeper.running
        await sweeper.run_once()
    assert not sweeper.running
    assert await stored_status(harness, 1) == "EXPIRED"
    assert (await level(harness, network.loop, 1)).reserved == 0


# -- converting into an order -----------------------------------------------------------------


async def test_a_hold_converts_even_when_sourcing_rules_changed_since(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    held = (await reserve(harness))["reservation"]
    [line] = held["lines"]
    assert line["location"]["code"].startswith("ST-")  # a store holds the two tees
    # A threshold added after the hold would keep new orders away from that store; the
    # held units are already set aside for this buyer, so the order still takes them.
    await set_method_rule(
        harness.services,
        MethodRuleInput(method=DeliveryMethod.SHIP_STANDARD, min_stock={"STORE": 1000}),
    )
    converted = (await harness.graphql(CREATE, {"input": order_input(reservationId=held["id"])}))[
        "createOrder"
    ]
    assert converted["userErrors"] == []
    assert [fo["location"]["code"] for fo in converted["order"]["fulfillmentOrders"]] == [
        line["location"]["code"]
    ]


async def test_order_converts_exactly_the_held_units_without_competing(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    # Every lamp in the network (10 at the DC, 2 in Oak Park, which cannot ship) is held.
    lamps = [{"sku": "LAMP-003", "quantity": 10}]
    held = (await reserve(harness, lines=lamps))["reservation"]
    other = (await harness.graphql(CREATE, {"input": order_input(lines=lamps)}))["createOrder"]
    # Refused: only Oak Park has lamps left, and it does not ship (METHOD_UNAVAILABLE).
    assert other["order"] is None and other["userErrors"]

    converted = (
        await harness.graphql(CREATE, {"input": order_input(lines=lamps, reservationId=held["id"])})
    )["createOrder"]

    assert converted["userErrors"] == []
    assert [fo["location"]["code"] for fo in converted["order"]["fulfillmentOrders"]] == [
        "DC-JOLIET"
    ]
    dc_lamps = await level(harness, network.dc, 3)
    assert (dc_lamps.reserved, dc_lamps.committed) == (0, 10)
    read = (await harness.graphql(READ, {"id": held["id"]}))["reservation"]
    assert read["status"] == "CONVERTED"
    async with harness.services.db.read_session() as session:
        moves = [
            (m.bucket, m.delta, m.reason)
            for m in await session.scalars(
                select(InventoryMovement).where(InventoryMovement.order_id.is_not(None))
            )
        ]
    assert sorted(moves) == [("COMMITTED", 10, "COMMIT"), ("RESERVED", -10, "RELEASE")]
    assert await ledger_discrepancies(harness.services) == []

    twice = (
        await harness.graphql(CREATE, {"input": order_input(lines=lamps, reservationId=held["id"])})
    )["createOrder"]
    assert [e["code"] for e in twice["userErrors"]] == ["RESERVATION_NOT_ACTIVE"]


async def test_conversion_refusals_have_clear_codes_and_change_nothing(
    harness: Harness, network: Network, clock: list[datetime]
) -> None:
    held = (await reserve(harness))["reservation"]
    mismatch = (
        await harness.graphql(
            CREATE,
            {
                "input": order_input(
                    lines=[{"sku": "TEE-001", "quantity": 1}], reservationId=held["id"]
                )
            },
        )
    )["createOrder"]
    assert [e["code"] for e in mismatch["userErrors"]] == ["RESERVATION_MISMATCH"]
    elsewhere = (
        await harness.graphql(
            CREATE,
            {
                "input": order_input(
                    deliveryMethod="PICKUP",
                    shippingAddress=None,
                    pickupLocationId=str(network.evanston),
                    reservationId=held["id"],
                )
            },
        )
    )["createOrder"]
    assert [e["code"] for e in elsewhere["userErrors"]] == ["RESERVATION_MISMATCH"]

    clock[0] += timedelta(hours=1)
    expired = (await harness.graphql(CREATE, {"input": order_input(reservationId=held["id"])}))[
        "createOrder"
    ]
    assert [e["code"] for e in expired["userErrors"]] == ["RESERVATION_EXPIRED"]

    released = (await reserve(harness, "cart-2"))["reservation"]
    await harness.graphql(RELEASE, {"input": {"reservationId": released["id"]}})
    gone = (await harness.graphql(CREATE, {"input": order_input(reservationId=released["id"])}))[
        "createOrder"
    ]
    assert [e["code"] for e in gone["userErrors"]] == ["RESERVATION_NOT_ACTIVE"]
    assert (await level(harness, network.loop, 1)).committed == 0
