"""Building the plugin manager: discovery, enabling, disabling and loud failures."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

import omnigraph
import omnigraph.builtin.notifier
import plugins.tablerate
from omnigraph import plugin_host
from omnigraph.app import create_app
from omnigraph.hookspecs import hookimpl
from omnigraph.plugin_host import PluginLoadError, build_plugin_manager, describe_plugins
from omnigraph.settings import Settings


class Parcelbird:
    """Stands in for a second installed plugin."""

    @hookimpl
    def omnigraph_messengers(self, settings: Settings) -> Sequence[object]:
        return []


parcelbird = Parcelbird()


@pytest.fixture
def two_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real entry points plus a second plugin, as if another package were installed."""
    real = plugin_host._entry_points()
    fake = importlib.metadata.EntryPoint("parcelbird", f"{__name__}:parcelbird", "omnigraph")
    monkeypatch.setattr(
        plugin_host, "_entry_points", lambda: sorted([*real, fake], key=lambda ep: ep.name)
    )


def names(settings: Settings) -> list[str]:
    return [name for name, _ in build_plugin_manager(settings).list_name_plugin()]


def test_entry_point_discovery_finds_the_table_rate_plugin() -> None:
    manager = build_plugin_manager(Settings())
    assert manager.get_plugin("tablerate") is plugins.tablerate
    assert manager.get_plugin("omnigraph.notifier") is omnigraph.builtin.notifier


def test_built_ins_register_first_then_installed_plugins_then_extras() -> None:
    class Extra:
        @hookimpl
        def omnigraph_carriers(self, settings: Settings) -> None:
            return None

    manager = build_plugin_manager(Settings(), extra=[("extra", Extra())])
    order = [name for name, _ in manager.list_name_plugin()]
    assert order.index("omnigraph.notifier") < order.index("tablerate") < order.index("extra")


@pytest.mark.usefixtures("two_installed")
def test_omnigraph_plugins_restricts_to_the_named_plugins_in_their_order() -> None:
    built_ins = ["omnigraph.notifier", "omnigraph.lifecycle_notifier"]
    assert names(Settings()) == [*built_ins, "parcelbird", "tablerate"]
    assert names(Settings.from_env({"OMNIGRAPH_PLUGINS": "parcelbird"})) == [
        *built_ins,
        "parcelbird",
    ]
    assert names(Settings.from_env({"OMNIGRAPH_PLUGINS": "tablerate, parcelbird"})) == [
        *built_ins,
        "tablerate",
        "parcelbird",
    ]


def test_disabled_plugins_are_not_registered_built_ins_included() -> None:
    settings = Settings.from_env({"OMNIGRAPH_DISABLED_PLUGINS": "tablerate,omnigraph.notifier"})
    manager = build_plugin_manager(settings)
    assert manager.get_plugin("tablerate") is None
    assert manager.get_plugin("omnigraph.notifier") is None
    assert manager.hook.omnigraph_carriers(settings=settings) == []


def test_disabling_an_unknown_plugin_is_only_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="omnigraph.plugin_host"):
        manager = build_plugin_manager(Settings(disabled_plugins=("tablerat",)))
    assert manager.get_plugin("tablerate") is plugins.tablerate
    assert "tablerat" in caplog.text


def test_an_unknown_name_in_enabled_plugins_fails() -> None:
    with pytest.raises(PluginLoadError, match="not installed: shopifyy"):
        build_plugin_manager(Settings(enabled_plugins=("tablerate", "shopifyy")))


def test_naming_a_built_in_in_enabled_plugins_is_allowed() -> None:
    assert names(Settings(enabled_plugins=("omnigraph.notifier",))) == [
        "omnigraph.notifier",
        "omnigraph.lifecycle_notifier",
    ]


def test_a_misspelt_hook_fails_at_build_time() -> None:
    class Misspelt:
        @hookimpl
        def omnigraph_carrier(self, settings: Settings) -> list[object]:
            return []

    with pytest.raises(
        PluginLoadError,
        match="omnigraph_carrier is not an omnigraph hook; did you mean omnigraph_carriers",
    ):
        build_plugin_manager(Settings(), extra=[("misspelt", Misspelt())])


def test_an_unprefixed_hook_is_caught_by_check_pending() -> None:
    class Unprefixed:
        @hookimpl
        def carriers(self, settings: Settings) -> list[object]:
            return []

    with pytest.raises(PluginLoadError, match="unknown hook 'carriers'"):
        build_plugin_manager(Settings(), extra=[("unprefixed", Unprefixed())])


def test_a_hook_without_the_decorator_fails_instead_of_being_ignored() -> None:
    class Forgetful:
        def omnigraph_carriers(self, settings: Settings) -> list[object]:
            return []

    with pytest.raises(PluginLoadError, match="omnigraph_carriers is not decorated"):
        build_plugin_manager(Settings(), extra=[("forgetful", Forgetful())])


def test_an_async_provider_hook_fails_because_pluggy_never_awaits() -> None:
    class Eager:
        @hookimpl
        async def omnigraph_carriers(self, settings: Settings) -> list[object]:
            return []

    with pytest.raises(PluginLoadError, match="must be a plain def"):
        build_plugin_manager(Settings(), extra=[("eager", Eager())])


def test_a_hook_asking_for_an_argument_the_spec_does_not_give_fails() -> None:
    class Greedy:
        @hookimpl
        def omnigraph_carriers(self, settings: Settings, secrets: dict[str, str]) -> list[object]:
            return []

    with pytest.raises(PluginLoadError, match="does not fit the hook contract"):
        build_plugin_manager(Settings(), extra=[("greedy", Greedy())])


def test_a_plugin_that_fails_to_import_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = importlib.metadata.EntryPoint("broken", "omnigraph_no_such_module", "omnigraph")
    monkeypatch.setattr(plugin_host, "_entry_points", lambda: [broken])
    with pytest.raises(
        PluginLoadError, match="'broken' \\(omnigraph_no_such_module\\) failed to import"
    ):
        build_plugin_manager(Settings())


def test_describe_plugins_lists_names_and_hooks() -> None:
    class Extra:
        @hookimpl
        def omnigraph_messengers(self, settings: Settings) -> None:
            return None

    infos = {
        info.name: info
        for info in describe_plugins(build_plugin_manager(Settings(), extra=[("extra", Extra())]))
    }
    assert infos["tablerate"].hooks == ("omnigraph_carriers", "omnigraph_routes")
    assert infos["tablerate"].module == "plugins.tablerate"
    assert infos["tablerate"].version == importlib.metadata.version("omnigraph")
    assert not infos["tablerate"].builtin
    notifier = infos["omnigraph.notifier"]
    assert (notifier.hooks, notifier.builtin, notifier.version) == (
        ("omnigraph_handle_event",),
        True,
        omnigraph.__version__,
    )
    assert (infos["extra"].hooks, infos["extra"].module, infos["extra"].version) == (
        ("omnigraph_messengers",),
        __name__,
        None,
    )


class Freeshipping:
    """A sourcing contribution with a misspelt method: neither a filter nor a cost term."""

    name = "free-shipping"

    def costs(self, package: object, context: object) -> object:
        return None


class Rules:
    @hookimpl
    def omnigraph_sourcing_rules(self, settings: Settings) -> Sequence[object]:
        return [Freeshipping()]


def test_a_sourcing_rule_that_is_neither_filter_nor_cost_term_fails_start_up(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'start.db'}")
    with pytest.raises(PluginLoadError) as refused:
        create_app(settings, extra_plugins=[("promo-rules", Rules())])
    message = str(refused.value)
    assert message.startswith("plugin 'promo-rules': omnigraph_sourcing_rules returned")
    assert "Freeshipping" in message and "neither check(candidate, method)" in message
