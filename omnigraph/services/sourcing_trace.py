"""A sourcing decision's explanation as stored JSON, the one shape the API reads back.

Order capture stores it in ``order_sourcing_decisions``; promise options show the same
shape live, so a console reads "why this store" the same way for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import OrderSourcingDecision
from omnigraph.domain.sourcing import (
    Backorder,
    CandidateVerdict,
    CostBreakdown,
    Explanation,
    PlanSummary,
    SourcingDecision,
)

# A network of hundreds of locations would make every order row heavy; the nearest ones
# (plus every location of the chosen plan and the runner-up) answer "why not that store".
MAX_TRACE_CANDIDATES = 100


def _verdict(verdict: CandidateVerdict) -> dict[str, Any]:
    return {
        "locationId": verdict.location_id,
        "code": verdict.code,
        "locationType": verdict.location_type,
        "distanceKm": round(verdict.distance_km, 3),
        "reason": verdict.reason.value if verdict.reason is not None else None,
        "detail": verdict.detail,
        "rule": verdict.rule,
        "arrivesOn": verdict.arrives_on.isoformat() if verdict.arrives_on else None,
    }


def _cost(cost: CostBreakdown) -> dict[str, int]:
    shipping, labour, terms, split, total = cost.minors()
    return {
        "shipping": shipping,
        "labour": labour,
        "terms": terms,
        "splitPenalty": split,
        "total": total,
    }


def _plan(summary: PlanSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    packages = [
        {
            "locationId": package.location_id,
            "code": code,
            "quantities": dict(quantities),
            "service": package.service,
            "shipping": package.shipping.minor,
            "labour": package.labour.minor,
            "terms": [{"name": name, "amount": amount.minor} for name, amount in package.terms],
            "total": package.total_minor,
        }
        for package, code, quantities in zip(
            summary.cost.packages, summary.codes, summary.quantities, strict=True
        )
    ]
    return {
        "packages": packages,
        "cost": _cost(summary.cost),
        "arrivesOn": summary.arrives_on.isoformat(),
    }


def _backorder(backorder: Backorder) -> dict[str, Any]:
    return {
        "sku": backorder.sku,
        "quantity": backorder.quantity,
        "locationId": backorder.location_id,
        "availableOn": backorder.available_on.isoformat(),
        "arrivesOn": backorder.arrives_on.isoformat(),
    }


def explanation_json(decision: SourcingDecision) -> dict[str, Any]:
    """The decision's trace: candidates with verdicts, chosen plan, runner-up, backorders."""
    return trace_json(decision.explanation, decision.cost.currency, decision.backorders)


def trace_json(
    explanation: Explanation, currency: str, backorders: Sequence[Backorder] = ()
) -> dict[str, Any]:
    """An explanation as JSON; a refusal's has candidates and verdicts but no plans."""
    planned = {
        location_id
        for summary in (explanation.chosen, explanation.runner_up)
        if summary is not None
        for location_id in summary.location_ids
    }
    kept = [
        verdict
        for index, verdict in enumerate(explanation.candidates)
        if index < MAX_TRACE_CANDIDATES or verdict.location_id in planned
    ]
    return {
        "channel": explanation.channel,
        "method": explanation.method.value,
        "currency": currency,
        "basis": explanation.basis.value if explanation.basis is not None else None,
        "candidatesConsidered": len(explanation.candidates) + explanation.beyond_reach,
        "candidates": [_verdict(v) for v in kept],
        "chosen": _plan(explanation.chosen),
        "runnerUp": _plan(explanation.runner_up),
        "backorders": [_backorder(b) for b in backorders],
        "narrative": list(explanation.narrative()),
    }


@dataclass(frozen=True, slots=True)
class DecisionPart:
    """One of the decisions an order was sourced by, and what it was for (a SKU, a
    transfer); ``label`` None for the order's own plan."""

    decision: SourcingDecision
    label: str | None = None


def merged_trace(parts: Sequence[DecisionPart], method: str | None = None) -> dict[str, Any]:
    """Several decisions as one trace in the stored shape: the chosen packages of all of
    them (costs added, arriving with the last), every part's candidates and backorders,
    and each part's narrative under its label. A runner-up and a basis compare two plans
    of one cart, so they are kept only when there is a single part. ``method`` names the
    order's method when the first part is not its own plan (a collection all sent by
    transfer)."""
    if not parts:
        raise ValueError("a merged trace needs at least one decision")
    traces = [explanation_json(part.decision) for part in parts]
    if len(traces) == 1:
        return {**traces[0], "method": method or traces[0]["method"]}
    chosen = [trace["chosen"] for trace in traces if trace["chosen"] is not None]
    narrative: list[str] = []
    for part, trace in zip(parts, traces, strict=True):
        prefix = f"{part.label}: " if part.label else ""
        narrative.extend(prefix + line for line in trace["narrative"])
    first = traces[0]
    return {
        "channel": first["channel"],
        "method": method or first["method"],
        "currency": first["currency"],
        "basis": None,
        "candidatesConsidered": len(
            {c["locationId"] for trace in traces for c in trace["candidates"]}
        ),
        "candidates": [c for trace in traces for c in trace["candidates"]],
        "chosen": None
        if not chosen
        else {
            "packages": [package for plan in chosen for package in plan["packages"]],
            "cost": {key: sum(plan["cost"][key] for plan in chosen) for key in chosen[0]["cost"]},
            "arrivesOn": max(plan["arrivesOn"] for plan in chosen),
        },
        "runnerUp": None,
        "backorders": [b for trace in traces for b in trace["backorders"]],
        "narrative": narrative,
    }


def decision_row(
    order_id: int,
    decision: SourcingDecision | Sequence[DecisionPart],
    now: datetime,
    *,
    method: str | None = None,
) -> OrderSourcingDecision:
    """The row order capture writes in the order's transaction: one decision, or several
    merged (``merged_trace``) when parts of the order were sourced separately."""
    return OrderSourcingDecision(**decision_values(order_id, decision, now, method=method))


def decision_values(
    order_id: int,
    decision: SourcingDecision | Sequence[DecisionPart],
    now: datetime,
    *,
    method: str | None = None,
) -> dict[str, Any]:
    """``decision_row``'s column values, for a writer that inserts them without the ORM."""
    parts = [DecisionPart(decision)] if isinstance(decision, SourcingDecision) else decision
    trace = merged_trace(parts, method)
    return {
        "order_id": order_id,
        "channel": trace["channel"],
        "method": trace["method"],
        "basis": trace["basis"],
        "total_minor": sum(part.decision.cost.total.minor for part in parts),
        "currency": trace["currency"],
        "candidates_considered": trace["candidatesConsidered"],
        "explanation": trace,
        "created_at": now,
    }


async def decisions_by_order(
    session: AsyncSession, order_ids: Sequence[int]
) -> list[OrderSourcingDecision | None]:
    """Batch lookup behind the ``sourcing_decision_by_order_id`` dataloader."""
    rows = await session.scalars(
        select(OrderSourcingDecision).where(OrderSourcingDecision.order_id.in_(set(order_ids)))
    )
    found = {row.order_id: row for row in rows}
    return [found.get(order_id) for order_id in order_ids]


async def replace_decision(
    session: AsyncSession,
    order_id: int,
    decision: SourcingDecision | Sequence[DecisionPart],
    now: datetime,
    *,
    method: str | None = None,
) -> OrderSourcingDecision:
    """Keep the newest decision for an order that was sourced again (a change, a re-route);
    several parts are merged into one (``merged_trace``)."""
    await session.execute(
        delete(OrderSourcingDecision).where(OrderSourcingDecision.order_id == order_id)
    )
    row = decision_row(order_id, decision, now, method=method)
    session.add(row)
    return row
