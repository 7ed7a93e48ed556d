"""One cart's sourcing decisions, kept for the minute they were made in.

A decision is a pure function of the request and what it is decided with (``decide``:
equal inputs give equal decisions), and it depends on the time only through whole minutes:
opening hours, cut-offs, processing and drive times are whole minutes, and ready-by times
are rounded up to one (``LocationSchedule.ready_at``). So every moment strictly inside one
minute gets the same decision, and a storefront asking about the same cart again (cart page,
each checkout step, a shopper refreshing) within that minute, with nothing changed, is
answered from the decision already made. A moment exactly on a whole minute (a cut-off's
own instant) is decided afresh and not kept.

A memo belongs to one ``CartSources`` (its checked candidates, kept only while every stock
entry, order count and location fact they were built from is unchanged), so stock that
moves drops it with them. Each decision is also kept with the objects it was decided with
(rules, candidates, rate table, plugin rules and terms) and reused only while each is the
very same object: new rules, a new rate table or a different plugin set decide afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime

from omnigraph.domain.sourcing import NoPlan, SourcingDecision

Decision = SourcingDecision | NoPlan
# Decisions kept per cart and minute: methods x channels x quantities asked about.
DECISIONS_KEPT = 64


class DecisionMemo:
    """Decisions by request key for one minute; see the module's docstring."""

    __slots__ = ("_at", "_kept")

    def __init__(self) -> None:
        self._at: datetime | None = None
        self._kept: dict[Hashable, tuple[tuple[object, ...], Decision]] = {}

    def decision(
        self,
        key: Hashable,
        now: datetime,
        decided_with: tuple[object, ...],
        decide: Callable[[], Decision],
    ) -> Decision:
        """The decision for ``key`` made with exactly ``decided_with`` earlier in the minute
        ``now`` is in, if there is one, else ``decide()``'s, kept for the rest of it."""
        minute = now.replace(second=0, microsecond=0)
        if minute == now:
            return decide()  # on the minute itself: a cut-off may fall right here
        if minute != self._at:
            self._kept.clear()
            self._at = minute
        kept = self._kept.get(key)
        if kept is not None and _same(kept[0], decided_with):
            return kept[1]
        decision = decide()
        if len(self._kept) >= DECISIONS_KEPT:
            self._kept.clear()
        self._kept[key] = (decided_with, decision)
        return decision


def _same(kept: tuple[object, ...], now: tuple[object, ...]) -> bool:
    return len(kept) == len(now) and all(a is b for a, b in zip(kept, now, strict=True))
