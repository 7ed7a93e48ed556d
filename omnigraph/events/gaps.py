"""Gaps in outbox ids, and how long to wait for them.

Ids are allocated when a transaction writes its event but become visible when it commits,
so on PostgreSQL a later id can be visible before an earlier one. A consumer that finds an
id missing waits a grace period for it before moving past (an id left by a rolled-back
transaction never arrives). SQLite commits one writer at a time, so it has no such gaps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

GAP_GRACE_SECONDS = 5.0


class IdGaps:
    def __init__(
        self, grace_seconds: float = GAP_GRACE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.grace_seconds = grace_seconds
        self._clock = clock
        # Missing id -> when it was first found missing.
        self._first_seen: dict[int, float] = {}

    def elapsed(self, missing_id: int) -> bool:
        """Whether the grace for ``missing_id`` is over (its first sighting starts the clock)."""
        now = self._clock()
        first_seen = self._first_seen.setdefault(missing_id, now)
        # Forget gaps long passed so the map stays small.
        for stale in [
            i for i, seen in self._first_seen.items() if now - seen > 10 * self.grace_seconds
        ]:
            del self._first_seen[stale]
        return now - first_seen >= self.grace_seconds

    def seconds_to_next_deadline(self) -> float | None:
        """Until the earliest pending grace ends; None when no gap is pending."""
        now = self._clock()
        pending = [seen + self.grace_seconds - now for seen in self._first_seen.values()]
        pending = [wait for wait in pending if wait > 0]
        return min(pending) if pending else None

    def safe_position(self, position: int, present_ids: Sequence[int]) -> int:
        """How far a consumer at ``position`` may move through ``present_ids`` (ascending).

        It stops before the first missing id still within its grace, so an event committed
        late is not skipped.
        """
        for event_id in present_ids:
            if event_id != position + 1 and not self.elapsed(position + 1):
                break
            position = event_id
        return position
