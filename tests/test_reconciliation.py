"""Reconciliation: levels recomputed from the ledger, over the API, the CLI and in the domain."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from omnigraph.cli import main
from omnigraph.db.models import InventoryLevel
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.reconciliation import Drift, RecordedLevel, reconcile
from omnigraph.domain.vocabulary import InventoryBucket
from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_api_inventory import ADJUST, location_id
from tests.test_api_orders import CANCEL, CREATE, order_input
from tests.test_counts import COUNT, count_input

RECONCILE = """
query($l: ID, $skus: [String!]) {
  inventoryReconciliation(locationId: $l, skus: $skus) {
    checkedLevels
    drifts { location { code } product { sku } bucket recorded fromLedger difference }
  }
}
"""


async def reconciliation(harness: Harness, **variables: object) -> dict[str, object]:
    data = await harness.graphql(RECONCILE, variables)
    report: dict[str, object] = data["inventoryReconciliation"]
    return report


async def test_adjustments_counts_and_orders_leave_no_drift(
    harness: Harness, network: Network
) -> None:
    changes = [
        {"locationId": location_id(network.loop), "sku": "MUG-002", "delta": 6},
        {
            "locationId": location_id(network.dc),
            "sku": "LAMP-003",
            "delta": 2,
            "bucket": "DAMAGED",
            "reason": "DAMAGE",
        },
        {"locationId": location_id(network.evanston), "sku": "TEE-001", "delta": -3},
        {
            "locationId": location_id(network.oak_park),
            "sku": "MUG-002",
            "delta": 5,
            "bucket": "INCOMING",
        },
    ]
    for change in changes:
        assert (await harness.graphql(ADJUST, {"input": change}))["adjustInventory"][
            "userErrors"
        ] == []
    kept = (await harness.graphql(CREATE, {"input": order_input()}))["createOrder"]["order"]
    cancelled = (
        await harness.graphql(
            CREATE, {"input": order_input(lines=[{"sku": "LAMP-003", "quantity": 1}])}
        )
    )["createOrder"]["order"]
    assert kept and cancelled
    await harness.graphql(CANCEL, {"input": {"orderId": cancelled["id"]}})
    counted = await harness.graphql(
        COUNT, {"input": count_input(network.loop, {"TEE-001": 1, "MUG-002": 4})}
    )
    assert len(counted["recordInventoryCount"]["discrepancies"]) == 2

    report = await reconciliation(harness)
    assert report == {"checkedLevels": 8, "drifts": []}


async def test_a_level_written_behind_the_ledger_is_reported(
    harness: Harness, network: Network
) -> None:
    async with harness.services.unit_of_work() as uow:
        await uow.session.execute(
            update(InventoryLevel)
            .where(InventoryLevel.location_id == network.loop, InventoryLevel.product_id == 1)
            .values(on_hand=11, damaged=1)
        )
        await uow.commit()
    expected = [
        {
            "location": {"code": "ST-LOOP"},
            "product": {"sku": "TEE-001"},
            "bucket": "ON_HAND",
            "recorded": 11,
            "fromLedger": 3,
            "difference": 8,
        },
        {
            "location": {"code": "ST-LOOP"},
            "product": {"sku": "TEE-001"},
            "bucket": "DAMAGED",
            "recorded": 1,
            "fromLedger": 0,
            "difference": 1,
        },
    ]
    assert await reconciliation(harness) == {"checkedLevels": 7, "drifts": expected}
    assert await reconciliation(harness, l=location_id(network.loop), skus=["TEE-001"]) == {
        "checkedLevels": 1,
        "drifts": expected,
    }
    assert await reconciliation(harness, l=location_id(network.evanston)) == {
        "checkedLevels": 1,
        "drifts": [],
    }


async def test_unknown_filters_are_bad_input(harness: Harness, network: Network) -> None:
    body = await harness.client.execute(
        RECONCILE, {"l": location_id(999), "skus": ["TEE-001", "NOPE"]}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    problems = body["errors"][0]["extensions"]["problems"]
    assert [p["code"] for p in problems] == ["UNKNOWN_LOCATION", "UNKNOWN_SKU"]


def test_ledger_sums_without_a_level_are_drift() -> None:
    report = reconcile(
        [RecordedLevel(1, 1, StockLevel(on_hand=5, committed=2))],
        {
            (1, 1, InventoryBucket.ON_HAND): 5,
            (1, 1, InventoryBucket.COMMITTED): 2,
            (2, 1, InventoryBucket.ON_HAND): 4,
        },
    )
    assert report.checked_levels == 2
    assert report.drifts == (Drift(2, 1, InventoryBucket.ON_HAND, 0, 4),)
    assert not report.is_clean


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OMNIGRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    return CliRunner()


def test_the_reconcile_command_exits_1_on_drift(runner: CliRunner, tmp_path: Path) -> None:
    import sqlite3

    assert runner.invoke(main, ["demo-data"]).exit_code == 0
    clean = runner.invoke(main, ["reconcile"])
    assert clean.exit_code == 0, clean.output
    assert "no drift" in clean.output
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        code, sku = connection.execute(
            "UPDATE inventory_levels SET on_hand = on_hand + 7 WHERE id = 1"
            " RETURNING (SELECT code FROM locations WHERE id = location_id),"
            " (SELECT sku FROM products WHERE id = product_id)"
        ).fetchone()
    drifted = runner.invoke(main, ["reconcile"])
    assert drifted.exit_code == 1
    assert f"{code}\t{sku}\tON_HAND" in drifted.output and "1 drifted" in drifted.output
    assert runner.invoke(main, ["reconcile", "--location", code, "--sku", sku]).exit_code == 1
    unknown = runner.invoke(main, ["reconcile", "--location", "NOWHERE"])
    assert unknown.exit_code == 2 and "unknown location" in unknown.output
