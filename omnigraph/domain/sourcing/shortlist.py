"""The shortlist a decision screens: the nearest usable locations, then only the farther
ones that could still improve on them."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from omnigraph.domain.sourcing.costs import Pricer
from omnigraph.domain.sourcing.request import SourcingCandidate

# The shortlist: candidates are screened nearest first, and once ``nearest_usable`` of them
# are usable (``SourcingRules``), only farther locations that could still improve on them
# are screened, up to this many of each kind (see ``Shortlist``). Farther locations ship
# from dearer zones and rarely win, while screening every stocked location of a large
# network would cost more than the rest of the decision.
FARTHER_SCREENED = 10


class Admission(StrEnum):
    """Why a candidate past the shortlist is screened after all."""

    CHEAPER = "CHEAPER"
    WHOLE_CART = "WHOLE_CART"
    PACKAGES = "PACKAGES"
    SUPPLY = "SUPPLY"


class Shortlist:
    """Which candidates past the nearest ``size`` usable ones are still screened.

    Only those that could still improve on the shortlist, up to ``FARTHER_SCREENED`` of each
    kind: one that may send the lines it holds in full for less than the cheapest
    shortlisted location holding them, one holding the whole cart or a set of lines that no
    shortlisted location holds (fewer packages), and, when backorders are allowed, one with
    incoming supply of the cart.

    Passing over a candidate must cost next to nothing, so its package is not priced: rate
    tables charge more for farther zones, so shipping from it costs at least what shipping
    from the farthest shortlisted location does, and only cheaper labour can make up. That
    leaves, per set of lines, a labour figure the candidate must stay under (``_slack``),
    worked out once per set until another location is shortlisted.
    Lines are sets of bits (``lines_held``), so a cart has at most 2**lines packages.
    """

    def __init__(
        self, size: int | None, lines: Mapping[str, int], backorders: bool, pricer: Pricer
    ) -> None:
        self.size = size
        self.lines = tuple(lines.items())
        self.whole = (1 << len(self.lines)) - 1
        self.backorders = backorders
        self.pricer = pricer
        self.shortlisted: list[tuple[SourcingCandidate, int]] = []
        self._wanted = tuple((1 << bit, sku, qty) for bit, (sku, qty) in enumerate(self.lines))
        # Lines held in full -> the least a shortlisted holder asks to send them; built when
        # the shortlist first fills (None before), kept up to date as locations join it.
        self._best: dict[int, int] | None = None
        # Lines -> the labour a farther candidate sending them must stay under to be
        # cheaper, or None when no shortlisted location holds them. Cleared on every ``add``.
        self._slack: dict[int, int | None] = {}
        # Lines as bits -> (their weight, how many lines, how many units).
        self._packages: dict[int, tuple[int, int, int]] = {}
        self._skus = frozenset(sku for sku, _ in self.lines)
        self.admitted = dict.fromkeys(Admission, 0)
        self.skipped = 0

    def full(self, usable: int) -> bool:
        return self.size is not None and usable >= self.size

    def add(self, source: SourcingCandidate, stock: Mapping[str, int]) -> None:
        """A usable location with the ``stock`` the rules let it use (thresholds applied):
        farther candidates are now measured against it too."""
        held = self.lines_held(stock)
        self.shortlisted.append((source, held))
        if self._best is not None:
            self._offer(source, held)
            self._slack.clear()

    def admits(self, source: SourcingCandidate) -> bool:
        # Raw stock: a farther candidate's thresholds are checked if it is screened.
        lines = self.lines_held(source.candidate.stock)
        if lines:
            known = self._slack
            slack = known[lines] if lines in known else self._slack_of(lines)
            if slack is None:
                if self._take(Admission.WHOLE_CART if lines == self.whole else Admission.PACKAGES):
                    return True
            else:
                labour = source.labour
                if labour is None:
                    cost = 0
                else:
                    _, count, units = self._package(lines)
                    cost = labour.per_line.minor * count + labour.per_unit.minor * units
                if cost < slack and self._take(Admission.CHEAPER):
                    return True
        if (
            self.backorders
            and any(item.sku in self._skus for item in source.incoming)
            and self._take(Admission.SUPPLY)
        ):
            return True
        self.skipped += 1
        return False

    def lines_held(self, stock: Mapping[str, int]) -> int:
        """The cart's lines ``stock`` holds in full, as bits."""
        held = 0
        for bit, sku, qty in self._wanted:
            if stock.get(sku, 0) >= qty:
                held |= bit
        return held

    def _take(self, kind: Admission) -> bool:
        if self.admitted[kind] >= FARTHER_SCREENED:
            return False
        self.admitted[kind] += 1
        return True

    def _slack_of(self, lines: int) -> int | None:
        best = self._best
        if best is None:
            best = self._best = {}
            for source, held in self.shortlisted:
                self._offer(source, held)
        least = best.get(lines)
        slack = None if least is None else least - self._shipping_floor(lines)
        self._slack[lines] = slack
        return slack

    def _offer(self, source: SourcingCandidate, held: int) -> None:
        """Lower the least cost of every set of lines ``source`` holds in full."""
        best = self._best
        assert best is not None
        lines = held
        while lines:
            cost = self._package_minor(source, lines)
            if cost is not None:
                known = best.get(lines)
                if known is None or cost < known:
                    best[lines] = cost
            lines = (lines - 1) & held

    def _package(self, lines: int) -> tuple[int, int, int]:
        """The weight, line count and unit count of a package of ``lines``."""
        found = self._packages.get(lines)
        if found is None:
            quantities = {sku: qty for bit, sku, qty in self._wanted if lines & bit}
            found = (
                self.pricer.weight_of(quantities),
                len(quantities),
                sum(quantities.values()),
            )
            self._packages[lines] = found
        return found

    def _shipping_floor(self, lines: int) -> int:
        """Shipping ``lines`` from the farthest shortlisted location: the least it costs
        from any farther one."""
        farthest = self.shortlisted[-1][0]
        shipping = self.pricer.shipping_minor(farthest, self._package(lines)[0])
        return shipping or 0

    def _package_minor(self, source: SourcingCandidate, lines: int) -> int | None:
        """Shipping and labour of ``lines`` from ``source`` (plugin cost terms aside)."""
        weight, count, units = self._package(lines)
        shipping = self.pricer.shipping_minor(source, weight)
        if shipping is None:
            return None
        return shipping + self.pricer.labour_minor(source, count, units)
