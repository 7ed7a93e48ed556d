"""The sourcing engine: which location(s) fulfil a cart, at what cost, by when, and why.

Pure decisions over values the services load: ``decide(request, rules, rates=...)`` returns a
``SourcingDecision`` (packages, backorders, cost breakdown, window, explanation) or a
``NoPlan`` (a stable reason, a detail and the same explanation). See ``search`` for how the
cheapest plan is found and the limits of that search.
"""

from omnigraph.domain.sourcing.costs import (
    CostBreakdown,
    CostContext,
    CostTerm,
    PackageCost,
    PlannedPackage,
    is_cost_term,
)
from omnigraph.domain.sourcing.dated import (
    SupplyPart,
    SupplySource,
    arrival_window,
    check_requested_date,
    rules_for_requested_date,
    supply_parts,
)
from omnigraph.domain.sourcing.decision import (
    Backorder,
    NoPlan,
    NoPlanReason,
    SourcedPackage,
    SourcingDecision,
    decide,
)
from omnigraph.domain.sourcing.eligibility import CandidateVerdict, Reason
from omnigraph.domain.sourcing.explanation import Basis, Explanation, PlanSummary
from omnigraph.domain.sourcing.request import (
    CheckedCandidates,
    IncomingSupply,
    PickLabour,
    SourcingCandidate,
    SourcingRequest,
    check_candidates,
)
from omnigraph.domain.sourcing.rules import (
    ChannelPolicy,
    MarginRule,
    MethodPolicy,
    SourcingRules,
)
from omnigraph.domain.sourcing.search import SearchStats

__all__ = [
    "Backorder",
    "Basis",
    "CandidateVerdict",
    "ChannelPolicy",
    "CheckedCandidates",
    "CostBreakdown",
    "CostContext",
    "CostTerm",
    "Explanation",
    "IncomingSupply",
    "MarginRule",
    "MethodPolicy",
    "NoPlan",
    "NoPlanReason",
    "PackageCost",
    "PickLabour",
    "PlanSummary",
    "PlannedPackage",
    "Reason",
    "SearchStats",
    "SourcedPackage",
    "SourcingCandidate",
    "SourcingDecision",
    "SourcingRequest",
    "SourcingRules",
    "SupplyPart",
    "SupplySource",
    "arrival_window",
    "check_candidates",
    "check_requested_date",
    "decide",
    "is_cost_term",
    "rules_for_requested_date",
    "supply_parts",
]
