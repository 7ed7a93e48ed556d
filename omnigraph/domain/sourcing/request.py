"""What a sourcing decision is asked: the cart, the method, the channel and the candidates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.money import Money
from omnigraph.domain.promise import Candidate
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType


@dataclass(frozen=True, slots=True)
class IncomingSupply:
    """Units of a SKU expected at a location on a date (a purchase order, a transfer)."""

    sku: str
    quantity: int
    expected_on: date


@dataclass(frozen=True, slots=True)
class PickLabour:
    """What picking costs at a location: per line (walking to the bin) plus per unit.

    Both parts exist because both shapes occur: a store's cost is mostly the walk to each
    shelf (per line), a warehouse's mostly handling (per unit). Either may be zero.
    """

    per_line: Money
    per_unit: Money

    @classmethod
    def free(cls, currency: str) -> PickLabour:
        return cls(Money.zero(currency), Money.zero(currency))

    def cost(self, lines: int, units: int) -> Money:
        return self.per_line.times(lines) + self.per_unit.times(units)


@dataclass(frozen=True, slots=True)
class SourcingCandidate:
    """A ``promise.Candidate`` plus what sourcing needs beyond a promise.

    ``candidate.stock`` is the available-to-promise per SKU; ``incoming`` is supply that a
    backorder may wait for. ``daily_capacity`` is the number of orders the location accepts
    a day (``None``: no limit) and ``orders_today`` how many it already has.
    """

    candidate: Candidate
    labour: PickLabour | None = None
    orders_today: int = 0
    daily_capacity: int | None = None
    incoming: tuple[IncomingSupply, ...] = ()

    @property
    def location_id(self) -> int:
        return self.candidate.location_id

    @property
    def code(self) -> str:
        return self.candidate.code

    @property
    def location_type(self) -> LocationType:
        return self.candidate.location_type

    @property
    def distance_km(self) -> float:
        return self.candidate.distance_km

    def labour_cost(self, lines: int, units: int, currency: str) -> Money:
        return (self.labour or PickLabour.free(currency)).cost(lines, units)


def nearest_first(source: SourcingCandidate) -> tuple[float, int]:
    """The order candidates are screened in: by distance, then location id."""
    return source.candidate.distance_km, source.candidate.location_id


_DISTANCE = attrgetter("candidate.distance_km")
_LOCATION_ID = attrgetter("candidate.location_id")


class CheckedCandidates(tuple[SourcingCandidate, ...]):
    """Candidates already checked for one currency and put nearest first
    (``check_candidates``): a cart quoted for several methods is checked and sorted once,
    not once per method."""

    currency: str
    # Per cart facts several methods ask for, computed once: see ``whole_cart_holders``.
    _holders: dict[tuple[tuple[str, int], ...], tuple[int, ...]]
    _least_labour: int | None

    def whole_cart_holders(self, lines: Mapping[str, int]) -> tuple[int, ...]:
        """Positions of the candidates whose stock holds every line in full."""
        key = tuple(sorted(lines.items()))
        found = self._holders.get(key)
        if found is None:
            holders = []
            count = len(key)
            for index, source in enumerate(self):
                stock = source.candidate.stock
                if len(stock) < count:
                    continue  # too few SKUs to hold every line: most stores of a long cart
                for sku, qty in key:
                    if stock.get(sku, 0) < qty:
                        break
                else:
                    holders.append(index)
            found = tuple(holders)
            self._holders[key] = found
        return found

    def least_labour_minor(self) -> int:
        """The least labour of one line of one unit at any candidate."""
        if self._least_labour is None:
            self._least_labour = min(
                (
                    s.labour.per_line.minor + s.labour.per_unit.minor if s.labour else 0
                    for s in self
                ),
                default=0,
            )
        return self._least_labour


def check_candidates(candidates: Sequence[SourcingCandidate], currency: str) -> CheckedCandidates:
    """The candidates, checked as ``SourcingRequest`` would (raises ``DomainError``), in
    screening order."""
    problems = _candidates_problems(candidates, currency)
    if problems:
        raise DomainError(problems)
    return in_screening_order(candidates, currency)


def in_screening_order(candidates: Sequence[SourcingCandidate], currency: str) -> CheckedCandidates:
    """The candidates nearest first, as checked (a ``SourcingRequest`` checked them)."""
    if isinstance(candidates, CheckedCandidates) and candidates.currency == currency:
        return candidates
    # ``nearest_first`` as two sorts on one plain key each (sorting is stable, so equal
    # distances stay in id order): a large network sorts hundreds, and comparing floats
    # costs less than comparing pairs.
    checked = CheckedCandidates(sorted(sorted(candidates, key=_LOCATION_ID), key=_DISTANCE))
    checked.currency = currency
    checked._holders = {}
    checked._least_labour = None
    return checked


def _candidates_problems(candidates: Sequence[SourcingCandidate], currency: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[int] = set()
    for index, source in enumerate(candidates):
        path = ("candidates", str(index))
        if source.location_id in seen:
            problems.append(
                Problem((*path, "location_id"), ErrorCode.INVALID, "a location appears twice")
            )
        seen.add(source.location_id)
        problems.extend(_candidate_problems(source, path, currency))
    return problems


@dataclass(frozen=True, slots=True)
class SourcingRequest:
    """One decision: a cart to send by a method on a channel, from these candidates, now.

    ``weights_grams`` gives each SKU's unit weight (needed to rate shipping). ``now`` must be
    time-zone aware; each location's own time zone decides its cut-off and opening hours.
    ``only_location_id`` is the store a customer chose for collection: it alone is
    considered, whatever its distance.
    """

    channel: str
    method: DeliveryMethod
    lines: Mapping[str, int]
    candidates: Sequence[SourcingCandidate]
    now: datetime
    weights_grams: Mapping[str, int] = field(default_factory=dict)
    only_location_id: int | None = None
    currency: str = "USD"

    def __post_init__(self) -> None:
        problems: list[Problem] = []

        def bad(path: tuple[str, ...], code: ErrorCode, message: str) -> None:
            problems.append(Problem(path, code, message))

        if not self.lines:
            bad(("lines",), ErrorCode.REQUIRED, "the cart has no lines")
        for sku, quantity in self.lines.items():
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                bad(("lines", sku), ErrorCode.INVALID_QUANTITY, f"{sku}: quantity must be > 0")
            weight = self.weights_grams.get(sku)
            if weight is None and not self.method.is_collection:
                bad(("weights_grams", sku), ErrorCode.REQUIRED, f"{sku}: weight is needed to ship")
            elif weight is not None and weight < 0:
                bad(("weights_grams", sku), ErrorCode.INVALID, f"{sku}: weight must be >= 0")
        if self.now.tzinfo is None:
            bad(("now",), ErrorCode.INVALID, "now must carry a time zone")
        checked = self.candidates
        if not (isinstance(checked, CheckedCandidates) and checked.currency == self.currency):
            problems.extend(_candidates_problems(self.candidates, self.currency))
        if problems:
            raise DomainError(problems)


def _candidate_problems(
    source: SourcingCandidate, path: tuple[str, ...], currency: str
) -> list[Problem]:
    found: list[Problem] = []

    def bad(name: str, message: str) -> None:
        found.append(Problem((*path, name), ErrorCode.INVALID, f"{source.code}: {message}"))

    if source.orders_today < 0:
        bad("orders_today", "orders_today must be zero or more")
    if source.daily_capacity is not None and source.daily_capacity < 0:
        bad("daily_capacity", "daily_capacity must be zero or more")
    if source.labour is not None:
        for part in (source.labour.per_line, source.labour.per_unit):
            if part.currency != currency:
                bad("labour", f"labour must be in {currency}")
                break
            if part.minor < 0:
                bad("labour", "labour must be zero or more")
                break
    if any(supply.quantity <= 0 for supply in source.incoming):
        bad("incoming", "incoming quantities must be > 0")
    return found
