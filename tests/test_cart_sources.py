"""A promise's candidates are reused for the same cart and destination only while what they
were built from is unchanged: stock, orders, location facts and each location's day. Its
decisions are reused with them, within the minute, for the same request and rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from omnigraph.db.engine import Database
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.vocabulary import DeliveryMethod, InventoryBucket
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services import cart_sources, promise
from omnigraph.services.core import Services
from omnigraph.services.inventory import AdjustInventory, adjust_inventory
from omnigraph.services.promise import PromiseRequest, delivery_promise
from omnigraph.services.sourcing_rules import MethodRuleInput, set_method_rule
from omnigraph.settings import Settings
from tests.factories import HOME, build_network

DOORSTEP = GeoPoint(HOME["latitude"], HOME["longitude"])
ELSEWHERE = GeoPoint(HOME["latitude"] + 0.5, HOME["longitude"])
TEE = PromiseRequest([LineRequest("TEE-001", 1)], [DeliveryMethod.SHIP_STANDARD], DOORSTEP)
LOOP = 2
EVANSTON = 3
# 18:00 in Chicago, where every test location is: six hours before local midnight.
EVENING = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
# A moment inside the minute that begins at EVENING: decisions made in it are kept.
INSIDE = EVENING + timedelta(seconds=1)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    # Verification reads everything again on every promise, so nothing is reused with it on.
    plain = settings.with_overrides(stock_snapshot_verify=False)
    database = Database.from_url(plain.database_url)
    now = [EVENING]
    built = Services(
        settings=plain, db=database, plugins=build_plugin_manager(plain), clock=lambda: now[0]
    )
    built.extra_clock = now  # type: ignore[attr-defined]
    await build_network(built)
    yield built
    await database.dispose()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time a promise built its candidates instead of reusing them."""
    seen: list[int] = []
    build = cart_sources.sourcing_candidates

    def counted(*args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(cart_sources, "sourcing_candidates", counted)
    return seen


@pytest.fixture
def decisions(monkeypatch: pytest.MonkeyPatch) -> list[DeliveryMethod]:
    """The method of each decision the engine was asked for (not reused)."""
    seen: list[DeliveryMethod] = []
    decide = promise.decide

    def counted(request: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(request.method)
        return decide(request, *args, **kwargs)

    monkeypatch.setattr(promise, "decide", counted)
    return seen


def _tees(result: Any) -> int:
    [line] = result.lines
    return int(line.network_available)


async def test_the_same_cart_to_the_same_place_reuses_its_candidates(
    services: Services, builds: list[int]
) -> None:
    first = await delivery_promise(services, TEE)
    again = await delivery_promise(services, TEE)
    assert len(builds) == 1
    assert again == first


async def test_another_destination_builds_its_own(services: Services, builds: list[int]) -> None:
    await delivery_promise(services, TEE)
    await delivery_promise(services, PromiseRequest(TEE.lines, TEE.methods, ELSEWHERE))
    assert len(builds) == 2


async def test_a_stock_change_builds_them_again(services: Services, builds: list[int]) -> None:
    assert _tees(await delivery_promise(services, TEE)) == 111
    await adjust_inventory(
        services,
        AdjustInventory(location_id=LOOP, sku="TEE-001", bucket=InventoryBucket.ON_HAND, delta=-2),
    )
    assert _tees(await delivery_promise(services, TEE)) == 109
    assert len(builds) == 2


async def test_an_order_event_builds_them_again(services: Services, builds: list[int]) -> None:
    await delivery_promise(services, TEE)
    # What the snapshot does when any order, fulfilment or backorder event arrives.
    services.stock_snapshot._drop_orders()
    await delivery_promise(services, TEE)
    assert len(builds) == 2


async def test_changed_location_facts_build_them_again(
    services: Services, builds: list[int]
) -> None:
    await delivery_promise(services, TEE)
    services.catalog.invalidate()
    await delivery_promise(services, TEE)
    assert len(builds) == 2


async def test_local_midnight_builds_them_again(services: Services, builds: list[int]) -> None:
    now: list[datetime] = services.extra_clock  # type: ignore[attr-defined]
    await delivery_promise(services, TEE)
    now[0] = EVENING + timedelta(hours=5, minutes=59)
    await delivery_promise(services, TEE)
    assert len(builds) == 1  # still the same day in Chicago
    now[0] = EVENING + timedelta(hours=6, minutes=1)
    await delivery_promise(services, TEE)
    assert len(builds) == 2


async def test_a_rules_change_applies_to_reused_candidates(
    services: Services, builds: list[int]
) -> None:
    before = await delivery_promise(services, TEE)
    assert [option.method for option in before.options] == [DeliveryMethod.SHIP_STANDARD]
    await set_method_rule(
        services, MethodRuleInput(method=DeliveryMethod.SHIP_STANDARD, max_distance_km=0.001)
    )
    after = await delivery_promise(services, TEE)
    assert len(builds) == 1
    assert after.options == ()
    assert [refusal.method for refusal in after.unavailable] == [DeliveryMethod.SHIP_STANDARD]


async def test_nothing_is_reused_while_the_snapshot_verifies(
    services: Services, builds: list[int]
) -> None:
    services.stock_snapshot._verify = True
    await delivery_promise(services, TEE)
    await delivery_promise(services, TEE)
    assert len(builds) == 2


async def test_the_same_cart_within_the_minute_reuses_its_decisions(
    services: Services, decisions: list[DeliveryMethod]
) -> None:
    every = PromiseRequest(TEE.lines, [], DOORSTEP)
    now: list[datetime] = services.extra_clock  # type: ignore[attr-defined]
    now[0] = INSIDE  # both inside the minute from 18:00 in Chicago
    first = await delivery_promise(services, every)
    assert sorted(decisions) == sorted(DeliveryMethod)
    now[0] = EVENING + timedelta(seconds=59)
    again = await delivery_promise(services, every)
    assert again == first
    assert len(decisions) == len(DeliveryMethod)
    services.stock_snapshot.cart_sources.clear()
    assert await delivery_promise(services, every) == again  # as if decided now
    # The carriers still price every answer.
    assert [option.packages[0].offer for option in again.options] == [
        option.packages[0].offer for option in first.options
    ]


async def test_the_next_minute_decides_again(
    services: Services, decisions: list[DeliveryMethod]
) -> None:
    now: list[datetime] = services.extra_clock  # type: ignore[attr-defined]
    now[0] = EVENING + timedelta(seconds=1)
    await delivery_promise(services, TEE)
    now[0] = EVENING + timedelta(seconds=61)
    await delivery_promise(services, TEE)
    assert decisions == [DeliveryMethod.SHIP_STANDARD] * 2


async def test_a_moment_on_the_minute_is_decided_afresh(
    services: Services, decisions: list[DeliveryMethod]
) -> None:
    # Ready an hour after exactly 18:00 is 19:00; half a second later it is 19:01 (ready-by
    # times are rounded up). A decision made on the minute is never reused after it.
    pickup = PromiseRequest(TEE.lines, [DeliveryMethod.PICKUP], DOORSTEP)
    now: list[datetime] = services.extra_clock  # type: ignore[attr-defined]
    on_the_minute = await delivery_promise(services, pickup)
    now[0] = EVENING + timedelta(milliseconds=500)
    after = await delivery_promise(services, pickup)
    [before_ready] = [option.window.ready_at for option in on_the_minute.options]
    [after_ready] = [option.window.ready_at for option in after.options]
    assert after_ready - before_ready == timedelta(minutes=1)
    assert decisions == [DeliveryMethod.PICKUP] * 2


async def test_other_quantities_and_methods_are_decided_for_themselves(
    services: Services, decisions: list[DeliveryMethod]
) -> None:
    services.extra_clock[0] = INSIDE  # type: ignore[attr-defined]
    await delivery_promise(services, TEE)
    await delivery_promise(
        services, PromiseRequest([LineRequest("TEE-001", 3)], TEE.methods, DOORSTEP)
    )
    pickup = PromiseRequest(TEE.lines, [DeliveryMethod.PICKUP], DOORSTEP)
    await delivery_promise(services, pickup)
    await delivery_promise(services, pickup)
    at_evanston = PromiseRequest(
        TEE.lines, [DeliveryMethod.PICKUP], DOORSTEP, pickup_location_id=EVANSTON
    )
    await delivery_promise(services, at_evanston)
    await delivery_promise(services, at_evanston)
    dated = PromiseRequest(TEE.lines, TEE.methods, DOORSTEP, requested_date=date(2026, 3, 10))
    await delivery_promise(services, dated)
    await delivery_promise(services, dated)
    web = PromiseRequest(TEE.lines, TEE.methods, DOORSTEP, channel="web")
    await delivery_promise(services, web)
    await delivery_promise(services, web)
    assert (
        decisions
        == [DeliveryMethod.SHIP_STANDARD] * 2
        + [DeliveryMethod.PICKUP] * 2
        + [DeliveryMethod.SHIP_STANDARD] * 2
    )


async def test_a_stock_change_decides_again(
    services: Services, decisions: list[DeliveryMethod]
) -> None:
    services.extra_clock[0] = INSIDE  # type: ignore[attr-defined]
    await delivery_promise(services, TEE)
    await adjust_inventory(
        services,
        AdjustInventory(location_id=LOOP, sku="TEE-001", bucket=InventoryBucket.ON_HAND, delta=-2),
    )
    await delivery_promise(services, TEE)
    assert len(decisions) == 2


async def test_a_rules_change_decides_again_and_unchanged_rules_do_not(
    services: Services, decisions: list[DeliveryMethod]
) -> None:
    services.extra_clock[0] = INSIDE  # type: ignore[attr-defined]
    await delivery_promise(services, TEE)
    rules = services.stored_rules
    rules._loaded_at = float("-inf")  # due: read again, and found unchanged
    await delivery_promise(services, TEE)
    assert len(decisions) == 1
    await set_method_rule(
        services, MethodRuleInput(method=DeliveryMethod.SHIP_STANDARD, max_distance_km=0.001)
    )
    after = await delivery_promise(services, TEE)
    assert len(decisions) == 2
    assert after.options == ()


async def test_a_held_cart_is_answered_without_opening_a_session(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await delivery_promise(services, TEE)
    opened: list[int] = []
    sessions = services.db.sessions

    def counted() -> Any:
        opened.append(1)
        return sessions()

    monkeypatch.setattr(services.db, "sessions", counted)
    await delivery_promise(services, TEE)
    assert opened == []
    services.catalog.invalidate()  # location facts to read again: a session is opened
    await delivery_promise(services, TEE)
    assert opened == [1]
