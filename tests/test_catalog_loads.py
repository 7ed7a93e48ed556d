"""The catalogue cache: requests that miss the same locations together read them once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from omnigraph.db.engine import Database
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.catalog_cache import CatalogCache
from omnigraph.services.core import Services
from omnigraph.settings import Settings
from tests.factories import Network, build_network


@pytest.fixture
async def built(settings: Settings) -> AsyncIterator[tuple[Services, Network]]:
    database = Database.from_url(settings.database_url)
    services = Services(settings=settings, db=database, plugins=build_plugin_manager(settings))
    network = await build_network(services)
    yield services, network
    await database.dispose()


def _counting(catalog: CatalogCache, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    load = catalog.load_locations

    async def slow(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        await asyncio.sleep(0.01)  # a database round trip, during which others arrive
        return await load(*args, **kwargs)

    monkeypatch.setattr(catalog, "load_locations", slow)
    return reads


async def test_requests_missing_the_same_locations_together_read_them_once(
    built: tuple[Services, Network], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, network = built
    catalog = CatalogCache(services.db)
    reads = _counting(catalog, monkeypatch)
    ids = [network.dc, network.loop, network.evanston]
    answers = await asyncio.gather(*(catalog.locations(ids) for _ in range(5)))
    assert len(reads) == 1
    assert all(sorted(answer) == sorted(ids) for answer in answers)
    assert answers[0][network.loop].code == "ST-LOOP"


async def test_a_load_from_before_the_cache_was_invalidated_is_not_shared(
    built: tuple[Services, Network], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, network = built
    catalog = CatalogCache(services.db)
    reads = _counting(catalog, monkeypatch)
    first = asyncio.create_task(catalog.locations([network.loop]))
    await asyncio.sleep(0)  # the first load is under way
    catalog.invalidate()
    second = await catalog.locations([network.loop])
    await first
    assert len(reads) == 2
    assert second[network.loop].code == "ST-LOOP"
