"""One cart's sourcing decisions, kept for the minute they were worked out for.

A decision is a pure function of the request and what it is decided with (``decide``:
equal inputs give equal decisions), and promises are worked out as of the whole minute
(``domain.promise.promise_instant``). A storefront asks about the same cart again and
again (cart page, each checkout step, every shopper refreshing): within the minute, with
nothing changed, the decision it would compute is the one it computed before.

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
        at: datetime,
        decided_with: tuple[object, ...],
        decide: Callable[[], Decision],
    ) -> Decision:
        """The decision for ``key`` at ``at`` made with exactly ``decided_with``: the kept
        one if there is one, else ``decide()``'s, kept for the rest of the minute."""
        if at != self._at:
            self._kept.clear()
            self._at = at
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
