"""Background jobs that repeat on an interval inside the server process.

The jobs keep their state in the database, so a restarted process simply carries on: a
missed run is made up by the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class PeriodicTask:
    """Runs ``job`` at start and then every ``interval_seconds`` until stopped.

    A failing run is logged and retried at the next interval; it never stops the loop.
    """

    def __init__(
        self, name: str, interval_seconds: float, job: Callable[[], Awaitable[object]]
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        self.name = name
        self.interval_seconds = interval_seconds
        self._job = job
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run_once(self) -> None:
        try:
            await self._job()
        except Exception:
            logger.exception("%s failed; retrying in %ss", self.name, self.interval_seconds)
        finally:
            self.runs += 1

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval_seconds)
