"""The sourcing decision: screen candidates, cover what can ship now, backorder the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from omnigraph.domain.calendar import add_business_days
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.money import Money
from omnigraph.domain.promise import (
    Allocation,
    EligibilityRule,
    FulfilmentPlan,
    PlanRefusal,
    Unavailable,
    Window,
)
from omnigraph.domain.rating import RateTable
from omnigraph.domain.sourcing.costs import (
    CostBreakdown,
    CostContext,
    CostTerm,
    PackageCost,
    Pricer,
)
from omnigraph.domain.sourcing.eligibility import CandidateVerdict, Reason, Usable, screen
from omnigraph.domain.sourcing.explanation import Basis, Explanation, PlanSummary, basis_between
from omnigraph.domain.sourcing.request import SourcingCandidate, SourcingRequest
from omnigraph.domain.sourcing.rules import SourcingRules
from omnigraph.domain.sourcing.search import Plan, SearchResult, search
from omnigraph.domain.vocabulary import DeliveryMethod


class NoPlanReason(StrEnum):
    NO_CAPABLE_LOCATION = "NO_CAPABLE_LOCATION"
    EXCLUDED_BY_RULE = "EXCLUDED_BY_RULE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    AT_CAPACITY = "AT_CAPACITY"
    CLOSED = "CLOSED"
    NO_CARRIER_SERVICE = "NO_CARRIER_SERVICE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    SPLIT_LIMIT = "SPLIT_LIMIT"
    PAST_CUTOFF = "PAST_CUTOFF"
    SLA_NOT_MET = "SLA_NOT_MET"


# How far each rejection got through the checks; the furthest explains a refusal best.
_STAGES: tuple[tuple[Reason, NoPlanReason], ...] = (
    (Reason.NOT_CHOSEN, NoPlanReason.NO_CAPABLE_LOCATION),
    (Reason.NO_CAPABILITY, NoPlanReason.NO_CAPABLE_LOCATION),
    (Reason.EXCLUDED_FOR_CHANNEL, NoPlanReason.EXCLUDED_BY_RULE),
    (Reason.OUT_OF_RANGE, NoPlanReason.OUT_OF_RANGE),
    (Reason.AT_CAPACITY, NoPlanReason.AT_CAPACITY),
    (Reason.EXCLUDED_BY_RULE, NoPlanReason.EXCLUDED_BY_RULE),
    (Reason.CLOSED, NoPlanReason.CLOSED),
    (Reason.NO_RATE, NoPlanReason.NO_CARRIER_SERVICE),
    (Reason.NO_STOCK, NoPlanReason.INSUFFICIENT_STOCK),
    (Reason.BELOW_MIN_STOCK, NoPlanReason.INSUFFICIENT_STOCK),
    (Reason.PAST_CUTOFF, NoPlanReason.PAST_CUTOFF),
    (Reason.SLA_MISSED, NoPlanReason.SLA_NOT_MET),
)
_STAGE = {reason: index for index, (reason, _) in enumerate(_STAGES)}
_REFUSAL = {
    NoPlanReason.NO_CAPABLE_LOCATION: Unavailable.NO_CAPABLE_LOCATION,
    NoPlanReason.EXCLUDED_BY_RULE: Unavailable.EXCLUDED_BY_RULE,
    NoPlanReason.OUT_OF_RANGE: Unavailable.OUT_OF_RANGE,
    NoPlanReason.AT_CAPACITY: Unavailable.EXCLUDED_BY_RULE,
    NoPlanReason.CLOSED: Unavailable.EXCLUDED_BY_RULE,
    NoPlanReason.NO_CARRIER_SERVICE: Unavailable.NO_CARRIER_SERVICE,
    NoPlanReason.INSUFFICIENT_STOCK: Unavailable.INSUFFICIENT_STOCK,
    NoPlanReason.SPLIT_LIMIT: Unavailable.INSUFFICIENT_STOCK,
    NoPlanReason.PAST_CUTOFF: Unavailable.PAST_CUTOFF,
    NoPlanReason.SLA_NOT_MET: Unavailable.PAST_CUTOFF,
}


@dataclass(frozen=True, slots=True)
class Backorder:
    """Units waiting for incoming supply at a location: there on ``available_on``, with the
    customer (delivered or ready) around ``arrives_on``. Backorders are outside the SLA."""

    sku: str
    quantity: int
    location_id: int
    available_on: date
    arrives_on: date


@dataclass(frozen=True, slots=True)
class SourcedPackage:
    source: SourcingCandidate
    quantities: Mapping[str, int]
    cost: PackageCost
    window: Window
    deadline: date | None


@dataclass(frozen=True, slots=True)
class SourcingDecision:
    """Which locations send what now, what waits for supply, the cost, the dates, and why.

    ``window`` is None only when the whole cart is backordered. When ``deadline`` is set,
    every package arrives by its own location's deadline (the SLA it claims to meet).
    """

    method: DeliveryMethod
    packages: tuple[SourcedPackage, ...]
    backorders: tuple[Backorder, ...]
    cost: CostBreakdown
    window: Window | None
    deadline: date | None
    explanation: Explanation

    @property
    def location_ids(self) -> tuple[int, ...]:
        return tuple(p.source.location_id for p in self.packages)

    def to_plan(self) -> FulfilmentPlan:
        """The shipped-now part as the ``FulfilmentPlan`` the services already persist."""
        return FulfilmentPlan(
            self.method,
            tuple(Allocation(p.source.candidate, dict(p.quantities)) for p in self.packages),
        )


@dataclass(frozen=True, slots=True)
class NoPlan:
    """The method cannot be offered for this cart; ``explanation`` says who was rejected why."""

    method: DeliveryMethod
    reason: NoPlanReason
    detail: str
    explanation: Explanation

    def refusal(self) -> PlanRefusal:
        """The same answer as the ``PlanRefusal`` storefronts and order capture understand."""
        return PlanRefusal(self.method, _REFUSAL[self.reason], self.detail)


def _furthest(verdicts: Sequence[CandidateVerdict], floor: NoPlanReason | None) -> NoPlanReason:
    stages = [_STAGE[v.reason] for v in verdicts if v.reason is not None]
    if floor is not None:
        stages.append(next(i for i, (_, r) in enumerate(_STAGES) if r is floor))
    return _STAGES[max(stages)][1] if stages else NoPlanReason.INSUFFICIENT_STOCK


def _reasons_at(verdicts: Sequence[CandidateVerdict], reason: NoPlanReason) -> str:
    """The rejections behind a refusal, as "CODE: detail" (stock shortages say nothing new)."""
    if reason is NoPlanReason.INSUFFICIENT_STOCK:
        return ""
    furthest = max(
        (
            _STAGE[v.reason]
            for v in verdicts
            if v.reason is not None and _STAGES[_STAGE[v.reason]][1] is reason
        ),
        default=None,
    )
    return "; ".join(
        sorted(
            {
                f"{v.code}: {v.detail}" if not v.detail.startswith(v.code) else v.detail
                for v in verdicts
                if v.reason is not None and _STAGE[v.reason] == furthest
            }
        )
    )


def _shortfall(lines: Mapping[str, int], usable: Sequence[Usable]) -> dict[str, int]:
    return {
        sku: qty - held
        for sku, qty in lines.items()
        if (held := sum(u.stock.get(sku, 0) for u in usable)) < qty
    }


def _backorders(
    short: Mapping[str, int],
    sources: Sequence[SourcingCandidate],
    request: SourcingRequest,
    pricer: Pricer,
) -> tuple[list[Backorder], dict[str, int]]:
    """Earliest supply first (then nearest, then id); returns what is still short."""
    supplies = sorted(
        ((supply, source) for source in sources for supply in source.incoming),
        key=lambda pair: (pair[0].expected_on, pair[1].distance_km, pair[1].location_id),
    )
    left = dict(short)
    found: list[Backorder] = []
    for supply, source in supplies:
        want = left.get(supply.sku, 0)
        if want <= 0:
            continue
        transit = 0 if request.method.is_collection else pricer.transit_days(source)
        try:
            # Goods received one day are picked and sent the next working day.
            sent = source.candidate.schedule.next_working_day(supply.expected_on)
        except ValueError:
            continue
        if transit is None:
            continue
        take = min(want, supply.quantity)
        arrives = add_business_days(sent, transit)
        found.append(Backorder(supply.sku, take, source.location_id, supply.expected_on, arrives))
        left[supply.sku] = want - take
    return found, {sku: qty for sku, qty in left.items() if qty > 0}


def _greedy_cover(usable: Sequence[Usable], lines: Mapping[str, int], limit: int) -> list[Usable]:
    """Up to ``limit`` locations, each covering the most of what is still uncovered (ties:
    the cheaper floor, then the lower id)."""
    left = dict(lines)
    chosen: list[Usable] = []
    for _ in range(limit):

        def covers(u: Usable) -> int:
            return sum(min(u.stock.get(sku, 0), qty) for sku, qty in left.items())

        pool = [u for u in usable if u not in chosen and covers(u) > 0]
        if not pool:
            break
        best = min(pool, key=lambda u: (-covers(u), u.floor_minor, u.location_id))
        chosen.append(best)
        for sku in left:
            left[sku] -= min(best.stock.get(sku, 0), left[sku])
    return chosen


def _describe_short(short: Mapping[str, int]) -> str:
    return ", ".join(f"{sku} (short {qty})" for sku, qty in sorted(short.items()))


def decide(
    request: SourcingRequest,
    rules: SourcingRules,
    *,
    rates: RateTable,
    filters: Sequence[EligibilityRule] = (),
    cost_terms: Sequence[CostTerm] = (),
) -> SourcingDecision | NoPlan:
    """Choose the location(s) and quantities that meet the method's SLA at the lowest cost.

    ``rates`` prices carrier shipping (ignored for collection); ``filters`` and ``cost_terms``
    are the plugins' eligibility rules and cost terms. Pure and deterministic: equal inputs
    give equal decisions. Raises ``DomainError`` when the request and the rules disagree on
    currency; returns ``NoPlan`` when the method cannot be offered.

    Candidates are screened from a shortlist (``SourcingRules.nearest_usable``); when the
    shortlist yields no plan, or one that waits for supply, every candidate is screened
    before the method is refused or waits. With plugin cost terms or a margin rule every
    candidate is screened from the start.
    """
    if request.currency != rules.currency or rates.currency != rules.currency:
        raise DomainError.single(
            ("currency",),
            ErrorCode.INVALID_CURRENCY,
            f"request, rates and rules must share one currency ({rules.currency})",
        )
    if cost_terms or rules.margin is not None:
        # Plugin cost terms and the margin rule may favour any location, however far:
        # the shortlist's cost bounds know neither, so every candidate is screened.
        rules = replace(rules, nearest_usable=None)
    decision = _decide(request, rules, rates, filters, cost_terms)
    falls_short = isinstance(decision, NoPlan) or bool(decision.backorders)
    skipped = decision.explanation.unscreened + decision.explanation.outpriced
    if falls_short and skipped:
        # Farther stock may serve what the shortlist could not (or could only by waiting).
        unbounded = replace(rules, nearest_usable=None)
        return _decide(request, unbounded, rates, filters, cost_terms)
    return decision


def _decide(
    request: SourcingRequest,
    rules: SourcingRules,
    rates: RateTable,
    filters: Sequence[EligibilityRule],
    cost_terms: Sequence[CostTerm],
) -> SourcingDecision | NoPlan:
    method = request.method
    policy = rules.policy_for(request.channel, method)
    context = CostContext(request.channel, method, request.currency)
    pricer = Pricer(rates, method, context, request.weights_grams, cost_terms)
    screening = screen(
        request, policy, rules.channel(request.channel), filters, pricer, rules.nearest_usable
    )
    explanation = Explanation(
        request.channel,
        method,
        screening.verdicts,
        unscreened=screening.unscreened,
        beyond_reach=screening.beyond_reach,
        outpriced=screening.outpriced,
    )

    def refuse(reason: NoPlanReason, detail: str) -> NoPlan:
        return NoPlan(method, reason, detail, explanation)

    if not request.candidates:
        return refuse(NoPlanReason.INSUFFICIENT_STOCK, "none of the cart is in stock")
    short = _shortfall(request.lines, screening.usable)
    backorders: list[Backorder] = []
    if short:
        floor = NoPlanReason.INSUFFICIENT_STOCK if screening.usable else None
        if not policy.allow_backorder:
            reason = _furthest(screening.verdicts, floor)
            why = _reasons_at(screening.verdicts, reason)
            detail = f"cannot be served now: {_describe_short(short)}"
            return refuse(reason, f"{detail} ({why})" if why else detail)
        backorders, still = _backorders(short, screening.backorder_sources, request, pricer)
        if still:
            return refuse(
                NoPlanReason.INSUFFICIENT_STOCK,
                f"not enough stock or incoming supply: {_describe_short(still)}",
            )
    now_lines = {sku: qty - short.get(sku, 0) for sku, qty in request.lines.items()}
    now_lines = {sku: qty for sku, qty in now_lines.items() if qty > 0}
    currency = request.currency
    if not now_lines:
        empty = CostBreakdown((), Money.zero(currency))
        explained = _explain(explanation, None, None, Basis.ALL_BACKORDERED, None)
        return SourcingDecision(method, (), tuple(backorders), empty, None, None, explained)
    penalty = rules.split_penalty(policy).minor
    margin = rules.margin
    result = search(
        screening.usable,
        now_lines,
        pricer,
        max_packages=policy.packages_limit(method),
        penalty_minor=penalty,
        preferred=margin.prefer if margin is not None else None,
        # The screening priced the parts of the whole cart: of no use when some of it waits.
        parts=screening.parts if not short else None,
    )
    limit = policy.packages_limit(method)
    if not result.ranked and policy.allow_backorder:
        # The network holds enough, but only across more locations than a plan may use:
        # ship what the best-covering few hold and wait for supply for the rest.
        covering = _greedy_cover(screening.usable, request.lines, limit)
        short = _shortfall(request.lines, covering)
        backorders, still = _backorders(short, screening.backorder_sources, request, pricer)
        now_lines = {
            sku: qty - short.get(sku, 0)
            for sku, qty in request.lines.items()
            if qty > short.get(sku, 0)
        }
        if not still and not now_lines:
            empty = CostBreakdown((), Money.zero(currency))
            explained = _explain(explanation, None, None, Basis.ALL_BACKORDERED, None)
            return SourcingDecision(method, (), tuple(backorders), empty, None, None, explained)
        if not still:
            result = search(
                covering,
                now_lines,
                pricer,
                max_packages=limit,
                penalty_minor=penalty,
                preferred=margin.prefer if margin is not None else None,
            )
    if not result.ranked:
        if limit == 1:
            return refuse(NoPlanReason.INSUFFICIENT_STOCK, "no single location has the whole cart")
        return refuse(
            NoPlanReason.SPLIT_LIMIT,
            f"the cart needs more than {limit} locations",
        )
    chosen, runner_up, basis = _choose(result, rules)
    explained = _explain(explanation, chosen, runner_up, basis, result)
    packages = tuple(
        SourcedPackage(u.source, quantities, cost, u.window, u.deadline)
        for (u, quantities), cost in zip(chosen.parts, chosen.cost.packages, strict=True)
    )
    deadlines = [p.deadline for p in packages if p.deadline is not None]
    return SourcingDecision(
        method,
        packages,
        tuple(backorders),
        chosen.cost,
        chosen.window,
        max(deadlines) if deadlines else None,
        explained,
    )


def _choose(result: SearchResult, rules: SourcingRules) -> tuple[Plan, Plan | None, Basis]:
    best = result.ranked[0]
    runner_up = result.ranked[1] if len(result.ranked) > 1 else None
    margin, preferred = rules.margin, result.best_preferred
    if margin is not None and preferred is not None and best.uses(margin.over):
        extra = best.shipping_minor - preferred.shipping_minor
        if extra > margin.threshold.minor:
            return preferred, best, Basis.MARGIN_RULE
    return best, runner_up, basis_between(best, runner_up)


def _explain(
    base: Explanation,
    chosen: Plan | None,
    runner_up: Plan | None,
    basis: Basis,
    result: SearchResult | None,
) -> Explanation:
    return Explanation(
        base.channel,
        base.method,
        base.candidates,
        PlanSummary.of(chosen) if chosen is not None else None,
        PlanSummary.of(runner_up) if runner_up is not None else None,
        basis,
        result.stats if result is not None else None,
        base.unscreened,
        base.beyond_reach,
        base.outpriced,
    )
