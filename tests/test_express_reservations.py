"""The express path of checkout holds: what it takes, what it hands to the general path, and
that both paths write the same hold, levels, ledger and events."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from omnigraph.db.mapping import level_of
from omnigraph.db.models import (
    InventoryLevel,
    InventoryMovement,
    OutboxEvent,
    Product,
    Reservation,
    ReservationLine,
)
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.stock_rules import CustomerTier
from omnigraph.services import express_reservations, reservations
from omnigraph.services.core import Services
from omnigraph.services.reservation_views import ReservedLine
from omnigraph.services.reservations import ReservationRequest
from omnigraph.services.stock_rules import (
    ProtectedRuleInput,
    set_customer_tier,
    set_protected_rule,
)
from omnigraph.testing import Harness
from tests.factories import HOME, Network, ledger_discrepancies

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
DESTINATION = GeoPoint(HOME["latitude"], HOME["longitude"])


@pytest.fixture
def services(harness: Harness, network: Network) -> Services:
    harness.services.clock = lambda: NOW
    return harness.services


def request(cart_id: str, quantity: int = 2, sku: str = "TEE-001", **extra: Any) -> Any:
    return ReservationRequest(
        cart_id=cart_id,
        lines=[LineRequest(sku, quantity)],
        destination=DESTINATION,
        actor="checkout",
        **extra,
    )


def no_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*_: Any) -> Any:
        raise AssertionError("the general path ran")

    monkeypatch.setattr(reservations, "_attempt", refuse)


def no_express_path(monkeypatch: pytest.MonkeyPatch) -> None:
    async def decline(*_: Any) -> Any:
        raise express_reservations.NotExpress

    monkeypatch.setattr(express_reservations, "prepare", decline)


async def snapshot(services: Services) -> dict[str, Any]:
    async with services.db.read_session() as session:
        return {
            "reserved": await session.scalar(select(func.sum(InventoryLevel.reserved))),
            "holds": await session.scalar(select(func.count(Reservation.id))),
            "lines": await session.scalar(select(func.count(ReservationLine.id))),
            "movements": await session.scalar(select(func.count(InventoryMovement.id))),
            "events": await session.scalar(select(func.count(OutboxEvent.id))),
        }


async def written(services: Services, reservation_id: int) -> dict[str, Any]:
    """What a hold left behind, with its own id taken out so two holds compare equal."""
    async with services.db.read_session() as session:
        hold = await session.get(Reservation, reservation_id)
        assert hold is not None
        lines = (
            await session.execute(
                select(
                    ReservationLine.location_id,
                    ReservationLine.product_id,
                    ReservationLine.quantity,
                ).where(ReservationLine.reservation_id == reservation_id)
            )
        ).all()
        movements = (
            await session.execute(
                select(
                    InventoryMovement.location_id,
                    InventoryMovement.bucket,
                    InventoryMovement.delta,
                    InventoryMovement.reason,
                    InventoryMovement.actor,
                    InventoryMovement.source,
                    InventoryMovement.created_at,
                ).where(InventoryMovement.external_id == f"reservation:{reservation_id}:hold")
            )
        ).all()
        events = list(
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.topic == "inventory.changed")
                .order_by(OutboxEvent.id.desc())
                .limit(len(lines))
            )
        )
    return {
        "hold": (
            hold.status,
            hold.delivery_method,
            hold.request_fingerprint,
            hold.expires_at,
            hold.created_at,
            hold.destination_latitude,
        ),
        "lines": sorted(lines),
        "movements": sorted(movements),
        "events": [(e.aggregate_type, e.actor, e.occurred_at, sorted(e.payload)) for e in events],
        "payloads": [e.payload for e in events],
    }


async def test_a_new_cart_is_held_the_express_way(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_general_path(monkeypatch)
    outcome = await reservations.reserve_inventory(services, request("cart-express"))
    view = outcome.reservation
    assert not outcome.replayed
    assert view.status.value == "ACTIVE" and view.expires_at == NOW + timedelta(minutes=15)
    assert [(line.sku, line.quantity) for line in view.lines] == [("TEE-001", 2)]
    stored = (await reservations.get_reservations(services, [view.id]))[0]
    assert stored == view  # what the caller saw is what was stored
    assert await ledger_discrepancies(services) == []


async def test_both_paths_write_the_same_hold(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    express = await reservations.reserve_inventory(services, request("cart-a"))
    first = await written(services, express.reservation.id)
    # Given back, so the general path starts from the same stock and sources the same way.
    await reservations.release_reservation(services, express.reservation.id)
    with monkeypatch.context() as patch:
        no_express_path(patch)
        general = await reservations.reserve_inventory(services, request("cart-b"))
    second = await written(services, general.reservation.id)
    assert first == second
    (payload,) = first["payloads"]
    assert payload["availableBefore"] - payload["available"] == 2
    assert payload["reason"] == "RESERVATION" and payload["sku"] == "TEE-001"
    assert await ledger_discrepancies(services) == []


async def test_stock_at_a_location_the_catalogue_has_not_loaded_is_held_after_loading_it(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_general_path(monkeypatch)
    services.catalog.invalidate()  # the next lookup starts from an empty catalogue
    loaded: list[int] = []
    load_locations = services.catalog.load_locations

    async def recording(location_ids: Any = None, session: Any = None) -> Any:
        found = await load_locations(location_ids, session)
        loaded.extend(found)
        return found

    monkeypatch.setattr(services.catalog, "load_locations", recording)
    before = await snapshot(services)
    outcome = await reservations.reserve_inventory(services, request("cart-cold"))
    after = await snapshot(services)
    (line,) = outcome.reservation.lines
    assert line.location_id in loaded
    assert services.catalog.location(line.location_id) is not None
    # Written once: the attempt that met the unknown location left nothing behind.
    assert after["holds"] - before["holds"] == 1
    assert after["reserved"] - before["reserved"] == 2
    assert after["events"] - before["events"] == 1
    assert await ledger_discrepancies(services) == []


async def test_replacing_a_carts_hold_takes_the_general_path(services: Services) -> None:
    first = await reservations.reserve_inventory(services, request("cart-r", 2))
    with pytest.raises(express_reservations.NotExpress):
        await express_reservations.reserve(services, request("cart-r", 3))
    second = await reservations.reserve_inventory(services, request("cart-r", 3))
    old = (await reservations.get_reservations(services, [first.reservation.id]))[0]
    assert old is not None and old.status.value == "RELEASED"
    assert [line.quantity for line in second.reservation.lines] == [3]
    assert await ledger_discrepancies(services) == []


async def network_available(services: Services, sku: str) -> int:
    async with services.db.read_session() as session:
        levels = await session.scalars(
            select(InventoryLevel)
            .join(Product, Product.id == InventoryLevel.product_id)
            .where(Product.sku == sku)
        )
        return sum(max(0, level_of(level).raw_available) for level in levels)


async def test_protected_stock_holds_on_both_paths(services: Services) -> None:
    spare = 1
    protected = await network_available(services, "TEE-001") - spare
    await set_protected_rule(
        services,
        ProtectedRuleInput(quantity=protected, tiers=frozenset({CustomerTier.B2B}), sku="TEE-001"),
    )
    await set_customer_tier(services, "buyer@b2b.example", CustomerTier.B2B)
    before = await snapshot(services)
    standard = request("cart-p", 2, customer_email="someone@example.com")
    if services.db.is_sqlite:  # checked inside the writer's serialised transaction
        with pytest.raises(DomainError) as refused:
            await express_reservations.reserve(services, standard)
        assert refused.value.problems[0].field == ("lines", "0", "quantity")
    else:  # needs the products locked from read to write: the general path's job
        with pytest.raises(express_reservations.NotExpress):
            await express_reservations.reserve(services, standard)
    with pytest.raises(DomainError) as general:
        await reservations.reserve_inventory(services, standard)
    assert general.value.code is ErrorCode.INSUFFICIENT_STOCK
    assert await snapshot(services) == before  # refused having written nothing
    within = await reservations.reserve_inventory(
        services, request("cart-q", spare, customer_email="someone@example.com")
    )
    b2b = await reservations.reserve_inventory(
        services, request("cart-b2b", 2, customer_email="Buyer@B2B.example ")
    )
    assert [line.quantity for line in within.reservation.lines] == [spare]
    assert sum(line.quantity for line in b2b.reservation.lines) == 2
    assert await ledger_discrepancies(services) == []


async def test_a_due_hold_is_expired_before_new_holds_of_its_skus(services: Services) -> None:
    due = await reservations.reserve_inventory(services, request("cart-old", ttl_seconds=60))
    later = NOW + timedelta(minutes=5)
    services.clock = lambda: later
    with pytest.raises(express_reservations.NotExpress):
        await express_reservations.reserve(services, request("cart-new"))
    await reservations.reserve_inventory(services, request("cart-new"))
    expired = (await reservations.get_reservations(services, [due.reservation.id]))[0]
    async with services.db.read_session() as session:
        stored = await session.get(Reservation, due.reservation.id)
    assert expired is not None and stored is not None
    assert stored.status == "EXPIRED"  # given back in the database, not only read as expired
    assert await ledger_discrepancies(services) == []


async def test_a_refused_hold_writes_nothing(services: Services) -> None:
    before = await snapshot(services)
    with pytest.raises(DomainError) as refused:
        await reservations.reserve_inventory(services, request("cart-big", 999))
    assert refused.value.code is ErrorCode.INSUFFICIENT_STOCK
    assert await snapshot(services) == before


async def test_invalid_requests_get_the_general_paths_errors(services: Services) -> None:
    with pytest.raises(express_reservations.NotExpress):
        await express_reservations.reserve(services, request("cart-x", sku="NOPE-404"))
    with pytest.raises(DomainError) as unknown:
        await reservations.reserve_inventory(services, request("cart-x", sku="NOPE-404"))
    assert unknown.value.problems[0].code is ErrorCode.UNKNOWN_SKU


async def test_concurrent_holds_never_take_protected_stock(services: Services) -> None:
    sellable = 5
    protected = await network_available(services, "MUG-002") - sellable
    await set_protected_rule(
        services,
        ProtectedRuleInput(quantity=protected, tiers=frozenset({CustomerTier.B2B}), sku="MUG-002"),
    )

    async def hold(n: int) -> bool:
        try:
            await reservations.reserve_inventory(services, request(f"cart-{n}", 1, sku="MUG-002"))
        except DomainError as error:
            assert error.code is ErrorCode.INSUFFICIENT_STOCK
            return False
        return True

    held = await asyncio.gather(*(hold(n) for n in range(40)))
    assert sum(held) == sellable
    assert await network_available(services, "MUG-002") == protected
    assert await ledger_discrepancies(services) == []


async def max_ids(services: Services) -> dict[str, int]:
    async with services.db.read_session() as session:
        return {
            "hold": await session.scalar(select(func.coalesce(func.max(Reservation.id), 0))) or 0,
            "movement": await session.scalar(
                select(func.coalesce(func.max(InventoryMovement.id), 0))
            )
            or 0,
            "event": await session.scalar(select(func.coalesce(func.max(OutboxEvent.id), 0))) or 0,
        }


async def holds_written_since(services: Services, since: dict[str, int]) -> dict[str, Any]:
    """Every hold, line, RESERVATION movement and event written after ``since``, in the order
    written, each hold named by its place in that order instead of its id."""
    async with services.db.read_session() as session:
        holds = list(
            await session.scalars(
                select(Reservation).where(Reservation.id > since["hold"]).order_by(Reservation.id)
            )
        )
        rank = {hold.id: n for n, hold in enumerate(holds)}
        lines = (
            await session.execute(
                select(
                    ReservationLine.reservation_id,
                    ReservationLine.location_id,
                    ReservationLine.product_id,
                    ReservationLine.quantity,
                )
                .where(ReservationLine.reservation_id.in_(rank))
                .order_by(ReservationLine.id)
            )
        ).all()
        movements = (
            await session.execute(
                select(
                    InventoryMovement.external_id,
                    InventoryMovement.location_id,
                    InventoryMovement.product_id,
                    InventoryMovement.bucket,
                    InventoryMovement.delta,
                    InventoryMovement.actor,
                    InventoryMovement.source,
                    InventoryMovement.created_at,
                )
                .where(
                    InventoryMovement.id > since["movement"],
                    InventoryMovement.reason == "RESERVATION",
                )
                .order_by(InventoryMovement.id)
            )
        ).all()
        events = [
            (e.topic, e.aggregate_type, e.aggregate_id, e.actor, e.occurred_at, e.payload)
            for e in await session.scalars(
                select(OutboxEvent).where(OutboxEvent.id > since["event"]).order_by(OutboxEvent.id)
            )
            if e.payload.get("reason") == "RESERVATION"
        ]
    return {
        "holds": [
            (
                h.cart_id,
                h.status,
                h.delivery_method,
                h.request_fingerprint,
                h.expires_at,
                h.created_at,
                h.destination_latitude,
                h.destination_longitude,
            )
            for h in holds
        ],
        # A hold's own lines are in no particular order (the general path writes them in plan
        # order, its levels in location order).
        "lines": sorted((rank[rid], *rest) for rid, *rest in lines),
        "movements": [
            (rank[int(external_id.split(":")[1])], *rest) for external_id, *rest in movements
        ],
        "events": events,
    }


@pytest.mark.parametrize("rows_per_insert", [None, 3], ids=["one-insert", "split-inserts"])
async def test_a_batch_of_holds_writes_what_the_holds_one_by_one_write(
    services: Services, monkeypatch: pytest.MonkeyPatch, rows_per_insert: int | None
) -> None:
    # MUG-002: 40 at the DC, 1 at the Loop store. Thirteen holds of 3 leave the DC one; a
    # hold of 2 then takes it and the Loop's last one; the holds after it find nothing left.
    quantities = [3] * 13 + [2, 1, 1, 4]
    batches: list[int] = []
    if rows_per_insert is not None and not services.db.is_sqlite:
        pytest.skip("the SQLite writer's multi-row inserts")
    if services.db.is_sqlite:
        from omnigraph.services import express_holds_sqlite

        if rows_per_insert is not None:  # a batch of more than 3 holds: several per table
            monkeypatch.setattr(express_holds_sqlite, "ROWS_PER_INSERT", rows_per_insert)

        write_holds = express_holds_sqlite.write_holds

        def counting(db: Any, items: list[Any]) -> Any:
            batches.append(len(items))
            return write_holds(db, items)

        monkeypatch.setattr(express_holds_sqlite, "write_holds", counting)

    async def hold(n: int, quantity: int) -> Any:
        try:
            outcome = await reservations.reserve_inventory(
                services, request(f"cart-{n}", quantity, sku="MUG-002")
            )
        except DomainError as error:
            return error.code
        return outcome.reservation

    # A warm catalogue: no hold waits for a product or location load, so all queue in order.
    await services.catalog.products(["MUG-002"])
    await services.catalog.load_locations()
    since = await max_ids(services)
    with monkeypatch.context() as patch:
        no_general_path(patch)
        together = await asyncio.gather(*(hold(n, q) for n, q in enumerate(quantities)))
    assert together[-3:] == [ErrorCode.INSUFFICIENT_STOCK] * 3
    held = [view for view in together if not isinstance(view, ErrorCode)]
    assert sorted(line.location_id for line in held[13].lines) == [1, 2]  # split DC + Loop
    assert await network_available(services, "MUG-002") == 0
    assert await ledger_discrepancies(services) == []
    if services.db.is_sqlite:
        assert max(batches) > (rows_per_insert or 1)  # batches, not holds one by one
    express = await holds_written_since(services, since)
    for view in held:
        await reservations.release_reservation(services, view.id)

    since = await max_ids(services)
    one_by_one = []
    with monkeypatch.context() as patch:
        no_express_path(patch)
        for n, quantity in enumerate(quantities):
            one_by_one.append(await hold(n, quantity))
    general = await holds_written_since(services, since)
    assert [getattr(v, "code", v) for v in one_by_one][-3:] == [ErrorCode.INSUFFICIENT_STOCK] * 3
    assert [[line.quantity for line in v.lines] for v in held] == [
        [line.quantity for line in v.lines] for v in one_by_one if not isinstance(v, ErrorCode)
    ]
    assert express == general
    assert len(express["events"]) == len(express["lines"]) == 15
    assert await ledger_discrepancies(services) == []


async def test_one_failing_hold_does_not_fail_its_batch(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not services.db.is_sqlite:
        pytest.skip("the SQLite writer's batches")
    from omnigraph.services import express_holds_sqlite

    real_view = express_reservations.ExpressHold.view

    def broken_for_cart_b(hold: Any, reservation_id: int, lines: Any) -> Any:
        if hold.request.cart_id == "cart-b":  # after the batch's writes: all of them undone
            raise RuntimeError("boom")
        return real_view(hold, reservation_id, lines)

    batches: list[int] = []
    write_holds = express_holds_sqlite.write_holds

    def counting(db: Any, items: list[Any]) -> Any:
        batches.append(len(items))
        return write_holds(db, items)

    monkeypatch.setattr(express_reservations.ExpressHold, "view", broken_for_cart_b)
    monkeypatch.setattr(express_holds_sqlite, "write_holds", counting)
    no_general_path(monkeypatch)
    await services.catalog.products(["TEE-001"])
    await services.catalog.load_locations()
    before = await snapshot(services)
    results = await asyncio.gather(
        reservations.reserve_inventory(services, request("cart-a")),
        reservations.reserve_inventory(services, request("cart-b")),
        reservations.reserve_inventory(services, request("cart-c")),
        return_exceptions=True,
    )
    assert isinstance(results[1], RuntimeError)
    assert not isinstance(results[0], BaseException) and not isinstance(results[2], BaseException)
    after = await snapshot(services)
    # The batch of three failed; run again one by one, cart-a and cart-c were held and
    # cart-b wrote nothing.
    assert batches == [3, 1, 1, 1]
    assert after["holds"] - before["holds"] == 2
    assert after["reserved"] - before["reserved"] == 4
    assert await ledger_discrepancies(services) == []


async def test_postgres_holds_have_their_tables_analysed_as_they_grow(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plans cached while the holds tables were nearly empty walk every active hold; the
    batcher refreshes the statistics (which replaces those plans) at 2, 4, 8... holds here.
    This checks that the tables are analysed at those thresholds and not between; that the
    plans then change is PostgreSQL's part (BENCHMARKS.md measures it)."""
    if services.db.is_sqlite:
        pytest.skip("PostgreSQL's batcher; SQLite holds go through the writer thread")
    from omnigraph.services import express_holds_postgres

    monkeypatch.setattr(express_holds_postgres, "ANALYZE_AFTER", 2)
    no_general_path(monkeypatch)

    async def counted() -> tuple[float, int]:
        """(PostgreSQL's row estimate for reservations, the rows there are)."""
        async with services.db.read_session() as session:
            estimate = await session.scalar(
                text("SELECT reltuples FROM pg_class WHERE relname = 'reservations'")
            )
            rows = await session.scalar(select(func.count(Reservation.id)))
        return float(estimate), int(rows or 0)

    async def hold(cart_id: str) -> None:
        await reservations.reserve_inventory(services, request(cart_id, quantity=1))
        assert services.hold_batcher is not None
        await services.hold_batcher.analysis_done()

    await hold("analyse-1")
    estimate, rows = await counted()
    assert estimate != rows  # not analysed yet
    await hold("analyse-2")  # the first threshold
    assert await counted() == (2.0, 2)
    await hold("analyse-3")  # the next is at 4
    assert await counted() == (2.0, 3)
    await hold("analyse-4")
    assert await counted() == (4.0, 4)


def test_the_event_text_of_a_hold_is_its_payload_as_json() -> None:
    line = ReservedLine(7, 42, 'TEE "crew" \u00e9-001', 3)
    before = StockLevel(on_hand=10, committed=1, reserved=2, safety_stock=1, damaged=0, incoming=5)
    after = StockLevel(on_hand=10, committed=1, reserved=5, safety_stock=1, damaged=0, incoming=5)
    text = express_reservations.change_text(line, before.available, after)
    assert text == json.dumps(express_reservations.change_of(line, before, after))
    assert json.loads(text)["availableBefore"] == 6 and json.loads(text)["available"] == 3


async def test_a_cart_asking_for_more_than_is_free_gets_its_own_held_units_counted(
    services: Services,
) -> None:
    free = await network_available(services, "TEE-001")
    first = await reservations.reserve_inventory(services, request("cart-big", free - 2))
    # Only 2 are free now; the cart's own hold gives back the rest when it is replaced.
    with pytest.raises(express_reservations.NotExpress):
        await express_reservations.reserve(services, request("cart-big", free))
    bigger = await reservations.reserve_inventory(services, request("cart-big", free))
    assert sum(line.quantity for line in bigger.reservation.lines) == free
    old = (await reservations.get_reservations(services, [first.reservation.id]))[0]
    assert old is not None and old.status.value == "RELEASED"
    assert await network_available(services, "TEE-001") == 0
    assert await ledger_discrepancies(services) == []
