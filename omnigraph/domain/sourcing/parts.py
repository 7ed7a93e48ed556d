"""The cheapest location for every part of a cart: what the shortlist measures farther
candidates against and where a split looks for its partners."""

from __future__ import annotations

from collections.abc import Mapping

from omnigraph.domain.sourcing.costs import Pricer
from omnigraph.domain.sourcing.request import SourcingCandidate


class CheapestParts:
    """For every set of the cart's lines (bits, ``held``), the least a location holding
    all of them in full asks to send them alone: shipping and labour, plugin cost terms
    aside. Ties go to the nearer location, then the lower id, whatever the order of offers.

    A cart of n lines has 2**n - 1 parts; a location is priced for each part it holds, so
    the offers are cheap for the one- and two-line holdings most stores have.
    """

    def __init__(self, lines: Mapping[str, int], pricer: Pricer) -> None:
        self.pricer = pricer
        self.wanted = tuple((1 << bit, sku, qty) for bit, (sku, qty) in enumerate(lines.items()))
        self.whole = (1 << len(self.wanted)) - 1
        # Part -> (least cost, distance, location id, location).
        self.best: dict[int, tuple[int, float, int, SourcingCandidate]] = {}
        # Part -> (its weight, how many lines, how many units).
        self._packages: dict[int, tuple[int, int, int]] = {}
        # Lines held -> each of its parts with its package.
        self._subsets: dict[int, list[tuple[int, int, int, int, int]]] = {}

    def held(self, stock: Mapping[str, int]) -> int:
        """The cart's lines ``stock`` holds in full, as bits."""
        held = 0
        for bit, sku, qty in self.wanted:
            if stock.get(sku, 0) >= qty:
                held |= bit
        return held

    def package(self, part: int) -> tuple[int, int, int]:
        """The weight, line count and unit count of a package of ``part``."""
        found = self._packages.get(part)
        if found is None:
            quantities = {sku: qty for bit, sku, qty in self.wanted if part & bit}
            found = (
                self.pricer.weight_of(quantities),
                len(quantities),
                sum(quantities.values()),
            )
            self._packages[part] = found
        return found

    def offer(self, source: SourcingCandidate, held: int) -> None:
        """``source`` may send any part of ``held`` (the lines its usable stock holds)."""
        line = self.pricer.price_line(source)
        if line is None:
            return
        base, per_kg, heaviest = line
        best = self.best
        labour = source.labour
        per_line = 0 if labour is None else labour.per_line.minor
        per_unit = 0 if labour is None else labour.per_unit.minor
        distance, location_id = source.distance_km, source.location_id
        for part, weight, count, units, kilograms in self._parts_of(held):
            if weight <= heaviest:
                cost = base + per_kg * kilograms + per_line * count + per_unit * units
                known = best.get(part)
                if (
                    known is None
                    or cost < known[0]
                    or (cost == known[0] and (distance, location_id) < known[1:3])
                ):
                    best[part] = (cost, distance, location_id, source)

    def _parts_of(self, held: int) -> list[tuple[int, int, int, int, int]]:
        """Every part of ``held`` with its package and billable kilograms (as
        ``Pricer.shipping_minor`` bills them): many locations hold the same lines."""
        found = self._subsets.get(held)
        if found is None:
            found = []
            part = held
            while part:
                weight, count, units = self.package(part)
                found.append((part, weight, count, units, (weight + 999) // 1000 or 1))
                part = (part - 1) & held
            self._subsets[held] = found
        return found

    def least(self, part: int) -> int | None:
        found = self.best.get(part)
        return None if found is None else found[0]

    def partners(self) -> list[int]:
        """The ids of the cheapest holders of every part short of the whole cart, in the
        order of the parts, each once."""
        ids: dict[int, None] = {}
        for part in sorted(self.best):
            if part != self.whole:
                ids.setdefault(self.best[part][2])
        return list(ids)
