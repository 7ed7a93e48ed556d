"""`omnigraph rules check` and `omnigraph rules import` on the demo network."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from omnigraph.cli import main
from omnigraph.settings import project_root

EXAMPLE = project_root() / "docs" / "rules.example.toml"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OMNIGRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'rules.db'}")
    return CliRunner()


def test_the_example_rules_file_is_valid(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "4 safety stock, 1 channel exposure, 1 protected stock rules" in result.output


def test_a_broken_file_is_reported_line_by_line(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[[safety_stock]]\nsku = "X"\nquantity = "many"\n')
    result = runner.invoke(main, ["rules", "check", str(broken)])
    assert result.exit_code == 1
    assert "safety_stock.0.quantity" in result.output and "safety_stock.0.location" in result.output
    garbage = tmp_path / "garbage.toml"
    garbage.write_text("[[safety_stock\n")
    assert "not valid TOML" in runner.invoke(main, ["rules", "check", str(garbage)]).output


def test_import_replaces_the_rules_and_applies_safety_stock(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(main, ["demo-data"]).exit_code == 0
    result = runner.invoke(main, ["rules", "import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert (
        "Imported 4 safety stock, 1 channel exposure and 1 protected stock rules" in result.output
    )
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(
        '[[safety_stock]]\nlocation = "ST-9999"\ncategory = "Outdoor"\nquantity = 1\n'
    )
    refused = runner.invoke(main, ["rules", "import", str(unknown)])
    assert (
        refused.exit_code == 1
        and "safety_stock.0.location: unknown location 'ST-9999'" in refused.output
    )
    assert runner.invoke(main, ["reconcile"]).exit_code == 0
