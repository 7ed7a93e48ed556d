"""The plugin as installed: found through its entry point, its label route mounted by the app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

import plugins.tablerate as plugin
from omnigraph.carriers import LabelRequest
from omnigraph.db.engine import Database
from omnigraph.domain.geo import GeoPoint
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.core import Services
from omnigraph.settings import Settings
from plugins.tablerate.carrier import TableRateCarrier

LABEL = LabelRequest(
    "SHP-77",
    "EXPRESS",
    GeoPoint(41.8781, -87.6298),
    "60601",
    GeoPoint(44.9778, -93.2650),
    "55401",
    2_300,
    "USD",
)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    # The routes never touch the database; an empty file is enough for the façade.
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'plugin.db'}")
    db = Database.from_url(settings.database_url)
    yield Services(settings=settings, db=db, plugins=build_plugin_manager(settings))
    await db.dispose()


def client_for(services: Services) -> httpx.AsyncClient:
    # What the app factory does: mount each plugin's routes under /plugins/<name>/.
    app = Starlette(
        routes=[Mount("/plugins/tablerate", routes=plugin.omnigraph_routes(services=services))]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oms.test")


def tablerate(services: Services) -> TableRateCarrier:
    [carrier] = [c for c in services.carriers if isinstance(c, TableRateCarrier)]
    return carrier


def test_discovered_through_the_installed_entry_point() -> None:
    manager = build_plugin_manager(Settings())
    assert manager.get_plugin("tablerate") is plugin
    carriers = [
        c for result in manager.hook.omnigraph_carriers(settings=Settings()) for c in result or ()
    ]
    assert any(isinstance(carrier, TableRateCarrier) for carrier in carriers)


async def test_services_collects_the_carrier(services: Services) -> None:
    assert "tablerate" in [carrier.code for carrier in services.carriers]


async def test_the_label_url_serves_printable_zpl(services: Services) -> None:
    carrier = tablerate(services)
    label = await carrier.buy_label(LABEL)
    async with client_for(services) as client:
        response = await client.get(label.label_url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    zpl = response.text
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert f"^FD{label.tracking_number}^FS" in zpl
    assert "EXPRESS" in zpl
    assert "3 kg" in zpl


async def test_an_invalid_tracking_number_is_not_found(services: Services) -> None:
    carrier = tablerate(services)
    label = await carrier.buy_label(LABEL)
    mistyped = label.tracking_number[:-1] + str((int(label.tracking_number[-1]) + 1) % 10)
    async with client_for(services) as client:
        responses = [
            await client.get(f"/plugins/tablerate/labels/{n}") for n in (mistyped, "nonsense")
        ]
    assert [r.status_code for r in responses] == [404, 404]
    assert "check digit" in responses[0].text


async def test_labels_are_served_with_the_carrier_the_core_uses(tmp_path: Path) -> None:
    # A partner-supplied rates file renumbers services; the route must read numbers the same way.
    rates = tmp_path / "rates.json"
    service = {
        "code": "ECONOMY",
        "number": 42,
        "base_minor": [500],
        "per_kg_minor": [10],
        "transit_days": [6],
    }
    rates.write_text(
        json.dumps({"currency": "USD", "zone_limits_km": [5000], "services": [service]})
    )
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'plugin.db'}",
        extra={"OMNIGRAPH_PLUGIN_TABLERATE_RATES_FILE": str(rates)},
    )
    db = Database.from_url(settings.database_url)
    try:
        core = Services(settings=settings, db=db, plugins=build_plugin_manager(settings))
        carrier = tablerate(core)
        carrier_with_clock = TableRateCarrier(
            carrier.card, clock=lambda: datetime(2025, 1, 2, tzinfo=UTC)
        )
        label = await carrier_with_clock.buy_label(
            LabelRequest(
                "R-1", "ECONOMY", LABEL.origin, "60601", LABEL.destination, None, 900, "USD"
            )
        )
        async with client_for(core) as client:
            response = await client.get(label.label_url)
        assert response.status_code == 200
        assert "ECONOMY" in response.text
        assert "2025-01-02" in response.text
    finally:
        await db.dispose()
