"""PeriodicTask: runs at start, keeps going after a failure, stops cleanly."""

from __future__ import annotations

import asyncio
import logging

import pytest

from omnigraph.periodic import PeriodicTask


async def test_a_failing_run_is_logged_and_the_next_one_still_happens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []
    second_run = asyncio.Event()

    async def job() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("database away")
        second_run.set()

    task = PeriodicTask("flaky", 0.001, job)
    with caplog.at_level(logging.ERROR, logger="omnigraph.periodic"):
        task.start()
        await asyncio.wait_for(second_run.wait(), 5)
        await task.stop()
    assert calls[:2] == [0, 1]
    assert "flaky failed" in caplog.text
    assert task.runs >= 2


async def test_stop_before_start_and_twice_is_harmless() -> None:
    async def job() -> None:
        return None

    task = PeriodicTask("idle", 60, job)
    await task.stop()
    task.start()
    await task.stop()
    await task.stop()


def test_the_interval_must_be_positive() -> None:
    async def job() -> None:
        return None

    with pytest.raises(ValueError, match="positive"):
        PeriodicTask("bad", 0, job)
