"""Inventory rules: safety stock with precedence and seasons, channel exposure, protected stock.

Safety stock keeps units on the shelf for walk-in customers. Exposure limits what a channel
may see and sell of the network's available stock. Protected stock keeps units that only
priority or B2B customers may buy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum, StrEnum

from omnigraph.domain.errors import DomainError, ErrorCode, Problem


class SafetyStockScope(IntEnum):
    """Most specific first: a lower value wins."""

    SKU_AT_LOCATION = 1
    CATEGORY_AT_LOCATION = 2
    LOCATION_TYPE = 3
    GLOBAL = 4


class CustomerTier(StrEnum):
    STANDARD = "STANDARD"
    PRIORITY = "PRIORITY"
    B2B = "B2B"


@dataclass(frozen=True, slots=True)
class Season:
    """Inclusive dates; an open end means "from" or "until" forever."""

    starts_on: date | None = None
    ends_on: date | None = None

    def covers(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )


@dataclass(frozen=True, slots=True)
class SafetyStockRule:
    id: int
    quantity: int
    location_id: int | None = None
    product_id: int | None = None
    category: str | None = None
    location_type: str | None = None
    season: Season = field(default_factory=Season)

    @property
    def scope(self) -> SafetyStockScope:
        if self.location_id is not None and self.product_id is not None:
            return SafetyStockScope.SKU_AT_LOCATION
        if self.location_id is not None and self.category is not None:
            return SafetyStockScope.CATEGORY_AT_LOCATION
        if self.location_type is not None:
            return SafetyStockScope.LOCATION_TYPE
        return SafetyStockScope.GLOBAL

    def applies_to(self, target: LevelTarget) -> bool:
        scope = self.scope
        if scope is SafetyStockScope.SKU_AT_LOCATION:
            return (self.location_id, self.product_id) == (target.location_id, target.product_id)
        if scope is SafetyStockScope.CATEGORY_AT_LOCATION:
            return (self.location_id, self.category) == (target.location_id, target.category)
        if scope is SafetyStockScope.LOCATION_TYPE:
            return self.location_type == target.location_type and (
                self.category is None or self.category == target.category
            )
        return self.category is None or self.category == target.category


@dataclass(frozen=True, slots=True)
class LevelTarget:
    """What a rule can match on for one inventory level."""

    location_id: int
    location_type: str
    product_id: int
    category: str


def effective_safety_stock(
    rules: Iterable[SafetyStockRule], target: LevelTarget, today: date
) -> tuple[int, SafetyStockRule | None]:
    """The safety stock for a level and the rule that set it.

    The most specific scope wins; within a scope, a seasonal rule in season beats an
    all-year one (it was written for the occasion), then the higher quantity (the safer
    choice), then the newer rule.
    """
    matching = [r for r in rules if r.season.covers(today) and r.applies_to(target)]
    if not matching:
        return 0, None
    best = min(
        matching,
        key=lambda r: (
            r.scope,
            r.season == Season(),
            -r.quantity,
            -r.id,
        ),
    )
    return best.quantity, best


@dataclass(frozen=True, slots=True)
class ExposureRule:
    """How much of the network's available stock a channel sees: a share, a cap, or both."""

    id: int
    channel: str
    percent: int | None = None
    cap: int | None = None
    product_id: int | None = None
    category: str | None = None

    @property
    def specificity(self) -> int:
        return 1 if self.product_id is not None else 2 if self.category is not None else 3

    def applies_to(self, channel: str, product_id: int, category: str) -> bool:
        if self.channel != channel:
            return False
        if self.product_id is not None:
            return self.product_id == product_id
        return self.category is None or self.category == category


def exposure_rule_for(
    rules: Iterable[ExposureRule], channel: str, product_id: int, category: str
) -> ExposureRule | None:
    matching = [r for r in rules if r.applies_to(channel, product_id, category)]
    return min(matching, key=lambda r: (r.specificity, -r.id), default=None)


@dataclass(frozen=True, slots=True)
class ProtectedStockRule:
    """Units of a SKU (or a category's SKUs) held back network-wide for some customer tiers."""

    id: int
    quantity: int
    tiers: frozenset[CustomerTier]
    product_id: int | None = None
    category: str | None = None

    def applies_to(self, product_id: int, category: str) -> bool:
        if self.product_id is not None:
            return self.product_id == product_id
        return self.category == category


def protected_quantity(
    rules: Iterable[ProtectedStockRule], product_id: int, category: str, tier: CustomerTier
) -> int:
    """Units this customer may not take: protections whose tiers do not include theirs."""
    return sum(
        r.quantity for r in rules if r.applies_to(product_id, category) and tier not in r.tiers
    )


def sellable_to(
    network_available: int,
    exposure: ExposureRule | None,
    protected: int,
) -> int:
    """What one channel and customer may buy of a SKU across the network.

    Protected units come off first (they are not for this customer at all); the channel's
    share and cap apply to what remains.
    """
    remaining = max(0, network_available - protected)
    if exposure is None:
        return remaining
    if exposure.percent is not None:
        remaining = remaining * exposure.percent // 100
    if exposure.cap is not None:
        remaining = min(remaining, exposure.cap)
    return remaining


def safety_stock_problems(
    *,
    quantity: int | None,
    has_location: bool,
    has_sku: bool,
    has_category: bool,
    has_location_type: bool,
    season: Season,
    path: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Everything wrong with the shape of a safety stock rule, whoever wrote it.

    ``names`` maps the API's field names to the caller's (the rules file uses snake case).
    """
    name = {
        "locationId": "locationId",
        "locationType": "locationType",
        "endsOn": "endsOn",
        **(names or {}),
    }
    base = tuple(path)
    problems: list[Problem] = []
    if quantity is not None and quantity < 0:
        problems.append(
            Problem(
                (*base, "quantity"), ErrorCode.INVALID_QUANTITY, "quantity must not be negative"
            )
        )
    if has_sku and not has_location:
        problems.append(
            Problem((*base, name["locationId"]), ErrorCode.REQUIRED, "a SKU rule needs a location")
        )
    if has_location and not has_sku and not has_category:
        problems.append(
            Problem(
                (*base, "category"), ErrorCode.REQUIRED, "a location rule needs a SKU or a category"
            )
        )
    if has_location and has_location_type:
        problems.append(
            Problem(
                (*base, name["locationType"]),
                ErrorCode.INVALID,
                "give a location or a location type, not both",
            )
        )
    if has_sku and has_category:
        problems.append(
            Problem((*base, "category"), ErrorCode.INVALID, "give a SKU or a category, not both")
        )
    if season.starts_on and season.ends_on and season.ends_on < season.starts_on:
        problems.append(
            Problem((*base, name["endsOn"]), ErrorCode.INVALID, "the season ends before it starts")
        )
    return problems


def check_safety_stock_rule(rule: SafetyStockRule, path: Sequence[str] = ()) -> None:
    problems = safety_stock_problems(
        quantity=rule.quantity,
        has_location=rule.location_id is not None,
        has_sku=rule.product_id is not None,
        has_category=rule.category is not None,
        has_location_type=rule.location_type is not None,
        season=rule.season,
        path=path,
    )
    if problems:
        raise DomainError(problems)


def check_exposure_rule(rule: ExposureRule, path: Sequence[str] = ()) -> None:
    base = tuple(path)
    problems: list[Problem] = []
    if rule.percent is None and rule.cap is None:
        problems.append(
            Problem((*base, "percent"), ErrorCode.REQUIRED, "give a percent, a cap, or both")
        )
    if rule.percent is not None and not 0 <= rule.percent <= 100:
        problems.append(
            Problem((*base, "percent"), ErrorCode.INVALID, "percent must be between 0 and 100")
        )
    if rule.cap is not None and rule.cap < 0:
        problems.append(
            Problem((*base, "cap"), ErrorCode.INVALID_QUANTITY, "cap must not be negative")
        )
    if rule.product_id is not None and rule.category is not None:
        problems.append(
            Problem((*base, "category"), ErrorCode.INVALID, "give a SKU or a category, not both")
        )
    if problems:
        raise DomainError(problems)


def check_protected_rule(rule: ProtectedStockRule, path: Sequence[str] = ()) -> None:
    base = tuple(path)
    problems: list[Problem] = []
    if rule.quantity < 0:
        problems.append(
            Problem(
                (*base, "quantity"), ErrorCode.INVALID_QUANTITY, "quantity must not be negative"
            )
        )
    if (rule.product_id is None) == (rule.category is None):
        problems.append(
            Problem((*base, "sku"), ErrorCode.REQUIRED, "give exactly one of a SKU and a category")
        )
    if not rule.tiers:
        problems.append(
            Problem((*base, "tiers"), ErrorCode.REQUIRED, "name the tiers the stock is kept for")
        )
    if problems:
        raise DomainError(problems)
