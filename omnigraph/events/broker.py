"""In-process wake-ups for everything that tails the outbox.

The outbox table is the source of truth; the broker only says "something new was
committed", so waiting consumers query the table instead of polling it blindly. Other
processes' commits are picked up by the consumers' periodic poll.
"""

from __future__ import annotations

import asyncio


class EventBroker:
    def __init__(self) -> None:
        self._latest_id = 0
        self._condition = asyncio.Condition()

    @property
    def latest_id(self) -> int:
        return self._latest_id

    async def announce(self, event_id: int) -> None:
        async with self._condition:
            if event_id > self._latest_id:
                self._latest_id = event_id
            self._condition.notify_all()

    async def wait_beyond(self, event_id: int, timeout: float) -> None:  # noqa: ASYNC109
        """Return once an id greater than ``event_id`` was announced, or after ``timeout``."""
        async with self._condition:
            if self._latest_id > event_id:
                return
            try:
                await asyncio.wait_for(
                    self._condition.wait_for(lambda: self._latest_id > event_id), timeout
                )
            except TimeoutError:
                return
