"""What-if simulation: two rule sets side by side, changing no stock."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from omnigraph.cli import main
from omnigraph.db.models import InventoryLevel, OutboxEvent
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from omnigraph.domain.sourcing.simulation import (
    CO2_GRAMS_PER_KG_KM,
    Outcome,
    SimulatedOrder,
    sample_orders,
    summarise,
)
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services.core import Services
from omnigraph.services.simulation import SimulationRequest, parse_alternative, simulate
from omnigraph.settings import project_root
from omnigraph.testing import Harness
from tests.factories import Network, build_network
from tests.test_sourcing_wiring import TUESDAY_AFTERNOON, at_tuesday, place

SIMULATE = """
query($input: SimulateSourcingInput!) {
  simulateSourcing(input: $input) {
    co2GramsPerKgKm
    current { orders served totalCost { amount } costPerOrder { amount } packagesPerOrder
              splitRate averageDistanceKm slaShare co2GramsPerOrder }
    alternative { orders served totalCost { amount } packagesPerOrder splitRate slaShare }
    orders { reference method
             current { served packages cost { amount } locationCodes slaMet co2Grams refusal }
             alternative { served packages locationCodes refusal } }
  }
}
"""
NEVER_SPLIT = '[[sourcing]]\nmethod = "SHIP_STANDARD"\nmax_packages = 1\n'


async def stock_snapshot(harness: Harness) -> list[tuple[int, int, int, int, int]]:
    async with harness.services.db.read_session() as session:
        rows = await session.scalars(select(InventoryLevel).order_by(InventoryLevel.id))
        return [(r.location_id, r.product_id, r.on_hand, r.committed, r.reserved) for r in rows]


async def events(harness: Harness) -> int:
    async with harness.services.db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


async def test_captured_orders_are_replayed_under_both_rule_sets_without_changing_stock(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    split = await place(harness, [{"sku": "TEE-001", "quantity": 105}], "SHIP_STANDARD")
    single = await place(harness, [{"sku": "MUG-002", "quantity": 1}], "SHIP_STANDARD")
    assert len(split["fulfillmentOrders"]) == 2
    before, outbox = await stock_snapshot(harness), await events(harness)
    data = await harness.graphql(
        SIMULATE,
        {"input": {"orderIds": [split["id"], single["id"]], "alternativeRules": NEVER_SPLIT}},
    )
    report = data["simulateSourcing"]
    assert await stock_snapshot(harness) == before and await events(harness) == outbox
    current, alternative = report["current"], report["alternative"]
    assert (current["orders"], current["served"]) == (2, 2)
    assert current["packagesPerOrder"] == 1.5 and current["splitRate"] == 0.5
    # The split order needs more than any one location holds: never splitting refuses it.
    assert (alternative["served"], alternative["splitRate"]) == (1, 0.0)
    first, second = report["orders"]
    assert first["reference"] == split["number"] and second["reference"] == single["number"]
    # Replayed from its own held units, the captured split is sourced as it was.
    assert sorted(first["current"]["locationCodes"]) == sorted(
        f["location"]["code"] for f in split["fulfillmentOrders"]
    )
    assert first["alternative"] == {
        "served": False,
        "packages": 0,
        "locationCodes": [],
        "refusal": "INSUFFICIENT_STOCK",
    }
    total = sum(float(o["current"]["cost"]["amount"]) for o in report["orders"])
    assert float(current["totalCost"]["amount"]) == pytest.approx(total)
    assert report["co2GramsPerKgKm"] == CO2_GRAMS_PER_KG_KM
    assert all(o["current"]["co2Grams"] > 0 for o in report["orders"])


async def test_bad_alternative_rules_are_bad_input(harness: Harness, network: Network) -> None:
    body = await harness.client.execute(
        SIMULATE,
        {"input": {"alternativeRules": '[[sourcing]]\nmethod = "PICKUP"\nmax_packages = 2'}},
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["problems"][0]["field"] == [
        "alternativeRules",
        "sourcing",
        "0",
        "max_packages",
    ]
    too_many = await harness.client.execute(
        SIMULATE, {"input": {"alternativeRules": "", "sampleSize": 5000}}
    )
    assert too_many["errors"][0]["extensions"]["problems"][0]["field"] == ["sampleSize"]


async def test_a_generated_sample_is_deterministic_and_shows_what_never_splitting_costs(
    services: Services,
) -> None:
    # Each SKU is in one place only, so every cart of two or more SKUs needs a split.
    await build_network(
        services, stock={(1, "TEE-001"): 500, (2, "MUG-002"): 500, (3, "LAMP-003"): 500}
    )
    services.clock = lambda: TUESDAY_AFTERNOON
    request = SimulationRequest(alternative=parse_alternative(NEVER_SPLIT), sample_size=40, seed=3)
    first = await simulate(services, request)
    assert first == await simulate(services, request)
    assert first.current.orders == first.alternative.orders == 40
    assert all(c.order.reference.startswith("SAMPLE-") for c in first.orders)
    multi = [c for c in first.orders if len(c.order.lines) > 1]
    assert multi and all(c.current.packages == len(c.order.lines) for c in multi)
    assert all(not c.alternative.served for c in multi)
    assert first.current.served == 40 and first.alternative.served == 40 - len(multi)
    assert first.current.split_rate == len(multi) / 40 and first.alternative.split_rate == 0.0
    totals = sum(c.current.cost.minor for c in first.orders if c.current.cost is not None)
    assert first.current.total_cost.minor == totals


def test_summary_arithmetic() -> None:
    usd = "USD"
    outcomes = [
        Outcome(True, Money(1000, usd), 2, 40.0, True, 30.0, (1, 2)),
        Outcome(True, Money(500, usd), 1, 20.0, False, 10.0, (1,)),
        Outcome(False, None, 0, 0.0, False, 0.0, (), "INSUFFICIENT_STOCK"),
    ]
    summary = summarise(outcomes, usd)
    assert (summary.orders, summary.served) == (3, 2)
    assert summary.total_cost == Money(1500, usd) and summary.cost_per_order == Money(750, usd)
    assert summary.packages_per_order == 1.5 and summary.split_rate == 0.5
    assert summary.average_distance_km == pytest.approx(60.0 / 3)
    assert summary.sla_share == pytest.approx(1 / 3)
    assert summary.co2_grams_per_order == 20.0


def test_samples_are_reproducible_and_near_the_given_points() -> None:
    points = [GeoPoint(41.88, -87.63), GeoPoint(42.36, -71.06)]
    one = sample_orders(["A", "B", "C"], points, 25, seed=11)
    assert one == sample_orders(["A", "B", "C"], points, 25, seed=11)
    assert one != sample_orders(["A", "B", "C"], points, 25, seed=12)
    for order in one:
        assert isinstance(order, SimulatedOrder) and order.method is DeliveryMethod.SHIP_STANDARD
        assert 1 <= len(order.lines) <= 3 and all(1 <= q <= 2 for q in order.lines.values())
        assert min(abs(order.destination.latitude - p.latitude) for p in points) <= 0.4


def test_the_cli_prints_both_rule_sets_and_writes_a_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIGRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}")
    runner = CliRunner()
    assert runner.invoke(main, ["demo-data"]).exit_code == 0
    chart = tmp_path / "chart.html"
    example = project_root() / "docs" / "rules.example.toml"
    result = runner.invoke(
        main, ["simulate", "--rules", str(example), "--sample", "25", "--chart", str(chart)]
    )
    assert result.exit_code == 0, result.output
    assert "Split rate" in result.output and "CO2 per order" in result.output
    page = chart.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert page.count("<rect") == 16  # 8 metrics x (current, alternative)
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    refused = runner.invoke(main, ["simulate", "--rules", str(example), "--order", "X1"])
    assert refused.exit_code == 1 and "not an order" in refused.output
