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
    from the farthest shortlisted location does, and only cheaper labour can make up.
    Lines are sets of bits (``_lines_held``), so a cart has at most 2**lines packages.
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
        # Lines held in full -> (least cost from a shortlisted holder, shipping from the
        # farthest shortlisted location), or None when no shortlisted location holds them.
        self._bounds: dict[int, tuple[int, int] | None] = {}
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
        held = self._lines_held(stock)
        self.shortlisted.append((source, held))
        for lines, bounds in self._bounds.items():
            best = None if bounds is None else bounds[0]
            if held & lines == lines:
                cost = self._package_minor(source, lines)
                if cost is not None and (best is None or cost < best):
                    best = cost
            if best is not None:
                self._bounds[lines] = (best, self._shipping_floor(lines))

    def admits(self, source: SourcingCandidate) -> bool:
        # Raw stock: a farther candidate's thresholds are checked if it is screened.
        lines = self._lines_held(source.candidate.stock)
        if lines:
            if lines not in self._bounds:
                self._bounds[lines] = self._bounds_of(lines)
            bounds = self._bounds[lines]
            if bounds is None:
                if self._take(Admission.WHOLE_CART if lines == self.whole else Admission.PACKAGES):
                    return True
            else:
                best, shipping_floor = bounds
                if shipping_floor + self._labour_minor(source, lines) < best and self._take(
                    Admission.CHEAPER
                ):
                    return True
        if (
            self.backorders
            and any(item.sku in self._skus for item in source.incoming)
            and self._take(Admission.SUPPLY)
        ):
            return True
        self.skipped += 1
        return False

    def _take(self, kind: Admission) -> bool:
        if self.admitted[kind] >= FARTHER_SCREENED:
            return False
        self.admitted[kind] += 1
        return True

    def _lines_held(self, stock: Mapping[str, int]) -> int:
        """The cart's lines ``stock`` holds in full, as bits."""
        held = 0
        for bit, (sku, qty) in enumerate(self.lines):
            if stock.get(sku, 0) >= qty:
                held |= 1 << bit
        return held

    def _bounds_of(self, lines: int) -> tuple[int, int] | None:
        costs = [
            cost
            for held, held_lines in self.shortlisted
            if held_lines & lines == lines
            and (cost := self._package_minor(held, lines)) is not None
        ]
        return (min(costs), self._shipping_floor(lines)) if costs else None

    def _package(self, lines: int) -> tuple[int, int, int]:
        """The weight, line count and unit count of a package of ``lines``."""
        found = self._packages.get(lines)
        if found is None:
            quantities = {sku: qty for bit, (sku, qty) in enumerate(self.lines) if lines >> bit & 1}
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

    def _labour_minor(self, source: SourcingCandidate, lines: int) -> int:
        _, count, units = self._package(lines)
        return self.pricer.labour_minor(source, count, units)

    def _package_minor(self, source: SourcingCandidate, lines: int) -> int | None:
        """Shipping and labour of ``lines`` from ``source`` (plugin cost terms aside)."""
        weight, count, units = self._package(lines)
        shipping = self.pricer.shipping_minor(source, weight)
        if shipping is None:
            return None
        return shipping + self.pricer.labour_minor(source, count, units)
