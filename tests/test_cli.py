"""The omnigraph command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from omnigraph.api.schema import export_sdl
from omnigraph.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OMNIGRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    return CliRunner()


def test_schema_prints_the_sdl(runner: CliRunner) -> None:
    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0
    assert result.output == export_sdl()


def test_schema_check_fails_on_a_stale_file(runner: CliRunner, tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text("type Query { hello: String }\n")
    result = runner.invoke(main, ["schema", "--check", str(stale)])
    assert result.exit_code == 1 and "stale" in result.output
    runner.invoke(main, ["schema", "--output", str(stale)])
    assert runner.invoke(main, ["schema", "--check", str(stale)]).exit_code == 0


def test_plugins_lists_each_plugin_with_its_hooks(runner: CliRunner) -> None:
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 0
    assert "tablerate" in result.output
    assert "  - omnigraph_carriers" in result.output


def test_disabled_plugins_are_not_listed(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIGRAPH_DISABLED_PLUGINS", "tablerate")
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 0 and "tablerate" not in result.output


def test_bad_settings_are_a_usage_error(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNIGRAPH_PORT", "eighty")
    result = runner.invoke(main, ["migrate"])
    assert result.exit_code == 2 and "OMNIGRAPH_PORT" in result.output


def test_migrate_then_demo_data_loads_once(runner: CliRunner) -> None:
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    first = runner.invoke(main, ["demo-data"])
    assert first.exit_code == 0, first.output
    assert "Loaded the demo network" in first.output
    second = runner.invoke(main, ["demo-data"])
    assert second.exit_code == 0 and "nothing loaded" in second.output
