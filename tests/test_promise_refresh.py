"""The server's background refresh of what promises read: another process's stock change
and a stored rule change made elsewhere reach the next promise without it waiting for a poll."""

from __future__ import annotations

import asyncio

import pytest

from omnigraph.db.engine import Database
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services import sourcing
from omnigraph.services.promise import delivery_promise, refresh_inputs
from omnigraph.services.sourcing_rules import MethodRuleInput, set_method_rule
from omnigraph.settings import Settings
from tests.factories import build_network
from tests.test_stock_snapshot import TEE, Clock, _core, _take_tees, db, plain, tees

__all__ = ["db", "plain"]  # fixtures


async def test_a_change_elsewhere_is_seen_after_the_background_refresh(
    plain: Settings, db: Database
) -> None:
    clock = Clock()
    here, elsewhere = _core(plain, db, clock), _core(plain, db)
    await build_network(here)
    assert tees(await delivery_promise(here, TEE)) == 111
    await _take_tees(elsewhere, 3)
    assert tees(await delivery_promise(here, TEE)) == 111  # no poll due yet
    await refresh_inputs(here)
    assert tees(await delivery_promise(here, TEE)) == 108  # still no time has passed


async def test_rules_changed_elsewhere_are_read_again_at_half_their_age(
    plain: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(sourcing, "monotonic", lambda: now[0])
    here, elsewhere = _core(plain, db), _core(plain, db)
    await build_network(here)
    offered = [DeliveryMethod.SHIP_STANDARD]
    assert [o.method for o in (await delivery_promise(here, TEE)).options] == offered
    await set_method_rule(
        elsewhere, MethodRuleInput(method=DeliveryMethod.SHIP_STANDARD, max_distance_km=0.001)
    )
    now[0] += sourcing.RULES_MAX_AGE_SECONDS / 2 - 0.1
    await refresh_inputs(here)  # read too recently to read again
    assert [o.method for o in (await delivery_promise(here, TEE)).options] == offered
    now[0] += 0.2
    await refresh_inputs(here)
    # Younger than the age limit: a promise would not have read the rules again itself.
    assert (await delivery_promise(here, TEE)).options == ()


async def test_requests_that_find_the_rules_due_together_read_them_once(
    plain: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _core(plain, db)
    await build_network(services)
    reads = 0
    load = sourcing.load_rules

    async def counted(*args: object) -> object:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)  # a database round trip, during which others arrive
        return await load(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sourcing, "load_rules", counted)
    results = await asyncio.gather(*(delivery_promise(services, TEE) for _ in range(5)))
    assert reads == 1
    assert all(tees(result) == 111 for result in results)


async def test_a_failed_shared_read_is_retried_by_those_waiting(
    plain: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _core(plain, db)
    await build_network(services)
    reads = 0
    load = sourcing.load_rules

    async def first_fails(*args: object) -> object:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        if reads == 1:
            raise RuntimeError("connection lost")
        return await load(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sourcing, "load_rules", first_fails)
    results = await asyncio.gather(
        *(delivery_promise(services, TEE) for _ in range(3)), return_exceptions=True
    )
    assert [type(r) for r in results].count(RuntimeError) == 1
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 2
