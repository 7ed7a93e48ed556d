"""The shortlist a decision screens: the nearest usable locations, then only the farther
ones that could still improve on them."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from omnigraph.domain.sourcing.costs import Pricer
from omnigraph.domain.sourcing.parts import CheapestParts
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
    Lines are sets of bits (``CheapestParts.held``), so a cart has at most 2**lines packages.
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
        self._by_sku = {sku: (bit, qty) for bit, sku, qty in self._wanted}
        # The least a shortlisted holder asks to send each set of lines; priced when the
        # shortlist first fills (None before), kept up to date as locations join it.
        self.parts: CheapestParts | None = None
        self._parts = CheapestParts(lines, pricer)
        # Lines -> (the labour a farther candidate sending them must stay under to be
        # cheaper, how many lines, how many units), or None when no shortlisted location
        # holds them. Cleared on every ``add``.
        self._slack: dict[int, tuple[int, int, int] | None] = {}
        self._skus = frozenset(sku for sku, _ in self.lines)
        self.admitted = dict.fromkeys(Admission, 0)
        self.skipped = 0

    def full(self, usable: int) -> bool:
        return self.size is not None and usable >= self.size

    def add(self, source: SourcingCandidate, stock: Mapping[str, int]) -> None:
        """A usable location with the ``stock`` the rules let it use (thresholds applied):
        farther candidates are now measured against it too."""
        held = self._parts.held(stock)
        self.shortlisted.append((source, held))
        if self.parts is not None:
            self.parts.offer(source, held)
            self._slack.clear()

    def admits(self, source: SourcingCandidate) -> bool:
        # Raw stock: a farther candidate's thresholds are checked if it is screened.
        # ``CheapestParts.held``, inlined: this runs for every candidate past the shortlist,
        # over whichever is shorter, its stock or the cart (most stores hold a line or two).
        stock = source.candidate.stock
        lines = 0
        if len(stock) < len(self._wanted):
            wanted = self._by_sku
            for sku, units in stock.items():
                want = wanted.get(sku)
                if want is not None and units >= want[1]:
                    lines |= want[0]
        else:
            for bit, sku, qty in self._wanted:
                if stock.get(sku, 0) >= qty:
                    lines |= bit
        if lines:
            known = self._slack
            test = known[lines] if lines in known else self._slack_of(lines)
            if test is None:
                if self._take(Admission.WHOLE_CART if lines == self.whole else Admission.PACKAGES):
                    return True
            else:
                slack, count, units = test
                labour = source.labour
                if labour is None:
                    cost = 0
                else:
                    cost = labour.per_line.minor * count + labour.per_unit.minor * units
                if cost < slack and self._take(Admission.CHEAPER):
                    return True
        if self.backorders and self._supplies(source) and self._take(Admission.SUPPLY):
            return True
        self.skipped += 1
        return False

    def _supplies(self, source: SourcingCandidate) -> bool:
        return any(item.sku in self._skus for item in source.incoming)

    def closed(self) -> bool:
        """Whether no farther candidate can be admitted any more, whatever it holds.

        Exact: the kinds still open are used up or cannot occur. Every set of lines having
        a shortlisted holder rules out the whole-cart and package kinds for good (holders
        are only ever added), and nothing else changes while nobody is admitted.
        """
        admitted = self.admitted
        if admitted[Admission.CHEAPER] < FARTHER_SCREENED:
            return False
        if self.backorders and admitted[Admission.SUPPLY] < FARTHER_SCREENED:
            return False
        parts = self.parts
        if parts is None:
            return False
        held = parts.best
        if admitted[Admission.WHOLE_CART] < FARTHER_SCREENED and self.whole not in held:
            return False
        # Every part short of the whole cart has a holder: 2**lines - 2 of them.
        partial = len(held) - (self.whole in held)
        return admitted[Admission.PACKAGES] >= FARTHER_SCREENED or partial == self.whole - 1

    def _take(self, kind: Admission) -> bool:
        if self.admitted[kind] >= FARTHER_SCREENED:
            return False
        self.admitted[kind] += 1
        return True

    def _slack_of(self, lines: int) -> tuple[int, int, int] | None:
        parts = self.parts
        if parts is None:
            parts = self.parts = self._parts
            for source, held in self.shortlisted:
                parts.offer(source, held)
        least = parts.least(lines)
        if least is None:
            test = None
        else:
            weight, count, units = parts.package(lines)
            # Shipping from the farthest shortlisted location: the least it costs from any
            # farther one (``shipping_minor`` by its price line: asked again after every
            # location the shortlist gains).
            line = self.pricer.price_line(self.shortlisted[-1][0])
            floor = 0
            if line is not None and weight <= line[2]:
                floor = line[0] + line[1] * ((weight + 999) // 1000 or 1)
            test = (least - floor, count, units)
        self._slack[lines] = test
        return test
