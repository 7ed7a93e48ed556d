"""The price bound of a screening: what the cheapest usable holder of the whole cart asks."""

from __future__ import annotations

from collections.abc import Mapping

from omnigraph.domain.sourcing.costs import Pricer
from omnigraph.domain.sourcing.request import CheckedCandidates, SourcingCandidate


class WholeCart:
    """The least a usable location asks to send the whole cart alone: a bound no plan
    using a location whose cheapest package costs more can beat (plugin cost terms aside,
    which turn the bound off with the shortlist)."""

    def __init__(self, lines: Mapping[str, int], pricer: Pricer) -> None:
        self.lines = tuple(lines.items())
        self.pricer = pricer
        self.weight = pricer.weight_of(lines)
        self.units = sum(lines.values())
        self.bound: int | None = None
        self._tail: list[int] | None = None
        # Asked for only when a candidate is outpriced: a pass over every candidate.
        self._least_labour: int | None = None
        self._ordered: CheckedCandidates | None = None

    def beyond(self, source: SourcingCandidate) -> bool:
        """Whether no location this far or farther can send a package for less than the
        bound: the least one-kilogram price of this zone and every farther one, plus the
        least labour of any candidate (rate tables need not rise with distance)."""
        rates, service = self.pricer.rates, self.pricer.service
        tariff = rates.services.get(service) if service is not None else None
        if tariff is None or self.bound is None:
            return False
        if self._tail is None:
            pairs = zip(tariff.base_minor, tariff.per_kg_minor, strict=True)
            prices = [base + kg for base, kg in pairs]
            self._tail = [min(prices[zone:]) for zone in range(len(prices))]
        zone = rates.zone_for(source.distance_km)
        if zone is None:
            return True  # past the last zone: no rate from here on
        if self._least_labour is None:
            self._least_labour = self._ordered.least_labour_minor() if self._ordered else 0
        return self._tail[zone] + self._least_labour > self.bound

    def _holds(self, stock: Mapping[str, int]) -> bool:
        return all(stock.get(sku, 0) >= qty for sku, qty in self.lines)

    def _cost(self, source: SourcingCandidate) -> int | None:
        shipping = self.pricer.shipping_minor(source, self.weight)
        if shipping is None:
            return None
        return shipping + self.pricer.labour_minor(source, len(self.lines), self.units)

    def cheapest_holders(self, ordered: CheckedCandidates) -> list[SourcingCandidate]:
        """Candidates whose stock holds the whole cart, cheapest first (then nearest)."""
        self._ordered = ordered
        priced = []
        for index in ordered.whole_cart_holders(dict(self.lines)):
            source = ordered[index]
            cost = self._cost(source)
            if cost is not None:
                priced.append((cost, index, source))
        priced.sort(key=lambda item: item[:2])
        return [source for _, _, source in priced]

    def offer(self, source: SourcingCandidate, stock: Mapping[str, int]) -> None:
        """A usable location with the stock the rules let it use."""
        if not self._holds(stock):
            return
        cost = self._cost(source)
        if cost is not None and (self.bound is None or cost < self.bound):
            self.bound = cost
