"""Sourcing explanations ("why this store?") as consoles read them.

Built from the JSON trace of ``omnigraph.services.sourcing_trace``, the shape stored with
each order and shown live on promise options, so both read the same way.
"""

import datetime
from collections.abc import Awaitable, Mapping
from typing import Any

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.types.catalog import Location, location_by_id
from omnigraph.api.types.common import DeliveryMethod, Money
from omnigraph.domain.sourcing import Basis, Reason

SourcingRejection = strawberry.enum(
    Reason, name="SourcingRejection", description="Why the engine did not use a location."
)
SourcingBasis = strawberry.enum(
    Basis, name="SourcingBasis", description="Why the chosen plan beat the runner-up."
)


@strawberry.type(description="A location the engine looked at, and the rule that rejected it.")
class SourcingCandidate:
    code: str
    location_type: str
    distance_km: float
    eligible: bool
    reason: SourcingRejection | None = strawberry.field(  # type: ignore[valid-type]
        description="The first rule the location failed; null when it was eligible."
    )
    detail: str
    rule: str | None = strawberry.field(description="The plugin rule's name, for EXCLUDED_BY_RULE.")
    arrives_on: datetime.date | None
    location_id: strawberry.Private[int]

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        return location_by_id(info, self.location_id)


@strawberry.type
class CostTermAmount:
    name: str
    amount: Money


@strawberry.type
class SkuQuantityShare:
    sku: str
    quantity: int


@strawberry.type(description="One location's package in a plan, with its cost.")
class SourcingPackageCost:
    code: str
    service: str | None
    shipping: Money
    labour: Money
    terms: list[CostTermAmount]
    total: Money
    lines: list[SkuQuantityShare]
    location_id: strawberry.Private[int]

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        return location_by_id(info, self.location_id)


@strawberry.type(description="A plan's cost: shipping + labour + plugin terms + split penalty.")
class SourcingPlanCost:
    packages: list[SourcingPackageCost]
    shipping: Money
    labour: Money
    terms: Money
    split_penalty: Money
    total: Money
    arrives_on: datetime.date


@strawberry.type(description="Units waiting for incoming supply at a location.")
class SourcingBackorder:
    sku: str
    quantity: int
    available_on: datetime.date = strawberry.field(description="When the supply is expected.")
    arrives_on: datetime.date = strawberry.field(description="When it reaches the customer.")
    location_id: strawberry.Private[int]

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        return location_by_id(info, self.location_id)


@strawberry.type(description="Why a cart was (or would be) sent where it was.")
class SourcingExplanation:
    channel: str
    method: DeliveryMethod  # type: ignore[valid-type]
    basis: SourcingBasis | None  # type: ignore[valid-type]
    candidates_considered: int = strawberry.field(
        description="How many locations were screened; `candidates` lists the nearest 100."
    )
    candidates: list[SourcingCandidate]
    chosen: SourcingPlanCost | None
    runner_up: SourcingPlanCost | None
    backorders: list[SourcingBackorder]
    narrative: list[str]

    @classmethod
    def of(cls, trace: Mapping[str, Any]) -> "SourcingExplanation":
        currency = trace["currency"]
        return cls(
            channel=trace["channel"],
            method=DeliveryMethod(trace["method"]),
            basis=Basis(trace["basis"]) if trace["basis"] else None,
            candidates_considered=trace["candidatesConsidered"],
            candidates=[
                SourcingCandidate(
                    code=c["code"],
                    location_type=c["locationType"],
                    distance_km=c["distanceKm"],
                    eligible=c["reason"] is None,
                    reason=Reason(c["reason"]) if c["reason"] else None,
                    detail=c["detail"],
                    rule=c["rule"],
                    arrives_on=_day(c["arrivesOn"]),
                    location_id=c["locationId"],
                )
                for c in trace["candidates"]
            ],
            chosen=_plan(trace["chosen"], currency),
            runner_up=_plan(trace["runnerUp"], currency),
            backorders=[
                SourcingBackorder(
                    sku=b["sku"],
                    quantity=b["quantity"],
                    available_on=datetime.date.fromisoformat(b["availableOn"]),
                    arrives_on=datetime.date.fromisoformat(b["arrivesOn"]),
                    location_id=b["locationId"],
                )
                for b in trace["backorders"]
            ],
            narrative=list(trace["narrative"]),
        )


def _day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _plan(plan: Mapping[str, Any] | None, currency: str) -> SourcingPlanCost | None:
    if plan is None:
        return None

    def money(minor: int) -> Money:
        return Money.minor(minor, currency)

    cost = plan["cost"]
    return SourcingPlanCost(
        packages=[
            SourcingPackageCost(
                code=p["code"],
                service=p["service"],
                shipping=money(p["shipping"]),
                labour=money(p["labour"]),
                terms=[
                    CostTermAmount(name=t["name"], amount=money(t["amount"])) for t in p["terms"]
                ],
                total=money(p["total"]),
                lines=[SkuQuantityShare(sku=s, quantity=q) for s, q in p["quantities"].items()],
                location_id=p["locationId"],
            )
            for p in plan["packages"]
        ],
        shipping=money(cost["shipping"]),
        labour=money(cost["labour"]),
        terms=money(cost["terms"]),
        split_penalty=money(cost["splitPenalty"]),
        total=money(cost["total"]),
        arrives_on=datetime.date.fromisoformat(plan["arrivesOn"]),
    )
