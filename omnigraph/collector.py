"""The garbage collector's settings for a long-running server process.

CPython's cyclic collector runs a young-generation pass every 700 net container allocations
and a full pass once enough objects have survived into the oldest generation. A server holds
a large, long-lived heap (the schema, the ORM's mappers, the catalogue and stock caches), and
a full pass walks all of it: about 100 ms on the demo network of 500 locations. Under
concurrent requests, each request's short-lived objects are still alive when the young pass
runs, so they are promoted and full passes come often; on the delivery-promise benchmark at
64 clients the collector took 3.5 ms per request, more than a third of the server's CPU.

On start-up the server therefore collects once, freezes what is alive (``gc.freeze``: the
start-up heap is never walked again) and raises the young generation's threshold, so that a
request's objects are mostly freed by reference counting before any pass sees them. Shutdown
undoes both, for processes (tests, embedding) that start and stop several apps.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

# Python's own threshold for the youngest generation.
PYTHON_DEFAULT_THRESHOLD = 700


@dataclass
class ServerCollector:
    """Freezes the start-up heap and sets the young generation's threshold while started.

    ``young_threshold`` of 0 leaves the collector exactly as Python configured it.
    """

    young_threshold: int
    _previous: tuple[int, int, int] | None = field(default=None, init=False)

    def start(self) -> None:
        if self.young_threshold <= 0 or self._previous is not None:
            return
        self._previous = gc.get_threshold()
        gc.collect()
        gc.freeze()
        _, middle, oldest = self._previous
        gc.set_threshold(self.young_threshold, middle, oldest)

    def stop(self) -> None:
        if self._previous is None:
            return
        if gc.get_threshold()[0] == self.young_threshold:
            # Not if another app set it since (apps stopped out of the order they started).
            gc.set_threshold(*self._previous)
        self._previous = None
        # Frozen objects are never collected: give them back before the app goes away.
        gc.unfreeze()
