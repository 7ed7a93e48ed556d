"""Future-dated promises (B2B): a requested delivery date met from on-hand and incoming supply.

A buyer who asks for goods on a later date may wait for supply that is not on the shelf
yet, so the decision may backorder against incoming supply with expected dates (never for
same day, which means today). The answer lists which part comes from which supply and
whether every part arrives by the requested date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.promise import Window
from omnigraph.domain.sourcing.decision import SourcingDecision
from omnigraph.domain.sourcing.rules import ChannelPolicy, SourcingRules
from omnigraph.domain.vocabulary import DeliveryMethod


class SupplySource(StrEnum):
    ON_HAND = "ON_HAND"
    INCOMING = "INCOMING"


@dataclass(frozen=True, slots=True)
class SupplyPart:
    """Units of a SKU from one location: on the shelf now, or expected on ``available_on``."""

    sku: str
    quantity: int
    location_id: int
    source: SupplySource
    available_on: date
    arrives_on: date


def supply_parts(decision: SourcingDecision, today: date) -> tuple[SupplyPart, ...]:
    """Every part of a decision, on-hand packages first, then backorders by date."""
    on_hand = [
        SupplyPart(
            sku,
            qty,
            package.source.location_id,
            SupplySource.ON_HAND,
            today,
            package.window.earliest,
        )
        for package in decision.packages
        for sku, qty in sorted(package.quantities.items())
    ]
    incoming = [
        SupplyPart(
            b.sku, b.quantity, b.location_id, SupplySource.INCOMING, b.available_on, b.arrives_on
        )
        for b in sorted(decision.backorders, key=lambda b: (b.available_on, b.location_id, b.sku))
    ]
    return (*on_hand, *incoming)


def arrival_window(decision: SourcingDecision) -> Window:
    """When everything has arrived: the shipped-now window stretched to the last backorder."""
    last = max((b.arrives_on for b in decision.backorders), default=None)
    now = decision.window
    if now is None:
        if last is None:
            raise ValueError("a decision ships something now or backorders something")
        return Window(last, last)
    if last is None:
        return now
    return Window(max(now.earliest, last), max(now.latest, last), now.ready_at, now.deliver_by)


def check_requested_date(requested_on: date, today: date) -> None:
    """A requested delivery date is today or later."""
    if requested_on < today:
        raise DomainError.single(
            ("requestedDate",), ErrorCode.INVALID, "the requested date is in the past"
        )


def rules_for_requested_date(
    rules: SourcingRules, channel: str, method: DeliveryMethod
) -> SourcingRules:
    """The rules with waiting for incoming supply allowed for this (channel, method).

    Asking for a later date is consent to wait; every other rule stays as it was. Same day
    is left alone: it cannot wait.
    """
    if method is DeliveryMethod.SAME_DAY:
        return rules
    policy = replace(rules.policy_for(channel, method), allow_backorder=True)
    own = rules.channel(channel)
    channels = dict(rules.channels)
    channels[channel] = ChannelPolicy(
        own.excluded_location_ids, own.excluded_location_types, {**own.methods, method: policy}
    )
    return replace(rules, channels=channels)
