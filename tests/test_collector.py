"""ServerCollector: the start-up heap is frozen and the young threshold raised while an app
runs, and both are given back when it stops."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from omnigraph.collector import ServerCollector
from omnigraph.settings import Settings, SettingsError


@pytest.fixture
def restored_collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


@pytest.mark.usefixtures("restored_collector")
def test_start_freezes_the_heap_and_raises_the_young_threshold() -> None:
    before = gc.get_threshold()
    collector = ServerCollector(12_345)
    collector.start()
    assert gc.get_threshold() == (12_345, before[1], before[2])
    assert gc.get_freeze_count() > 0
    collector.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("restored_collector")
def test_a_threshold_of_zero_leaves_the_collector_alone() -> None:
    before = gc.get_threshold()
    collector = ServerCollector(0)
    collector.start()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    collector.stop()
    assert gc.get_threshold() == before


@pytest.mark.usefixtures("restored_collector")
def test_starting_twice_restores_the_first_threshold() -> None:
    before = gc.get_threshold()
    collector = ServerCollector(5_000)
    collector.start()
    collector.start()
    collector.stop()
    assert gc.get_threshold() == before


def test_the_threshold_comes_from_the_environment() -> None:
    assert Settings.from_env({}).gc_young_threshold == 20_000
    assert Settings.from_env({"OMNIGRAPH_GC_YOUNG_THRESHOLD": "0"}).gc_young_threshold == 0
    with pytest.raises(SettingsError):
        Settings.from_env({"OMNIGRAPH_GC_YOUNG_THRESHOLD": "-1"})


@pytest.mark.usefixtures("restored_collector")
def test_apps_stopped_out_of_order_leave_pythons_threshold() -> None:
    before = gc.get_threshold()
    first, second = ServerCollector(20_000), ServerCollector(20_000)
    first.start()
    second.start()
    first.stop()
    second.stop()
    assert gc.get_threshold() == before
