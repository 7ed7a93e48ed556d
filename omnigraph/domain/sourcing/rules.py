"""Sourcing rules per channel and delivery method, validated when built.

A rules object is plain data so that the rules file and the admin mutations can build it;
every invalid value is reported at once as a ``DomainError`` whose problems name the field
(a path such as ``("methods", "PICKUP", "max_packages")``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.money import Money
from omnigraph.domain.promise import DEFAULT_RADIUS_KM
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType

# The search enumerates combinations of at most this many locations (see search.py).
MAX_PACKAGES_SUPPORTED = 3
# Shipping methods split into at most this many packages unless a policy says otherwise.
DEFAULT_MAX_PACKAGES = 3
# Same day means today: a same-day promise is always "by the end of today".
SAME_DAY_PROMISE_DAYS = 0


@dataclass(frozen=True, slots=True)
class MethodPolicy:
    """How one delivery method is sourced.

    - ``max_distance_km``: locations further from the destination are out of range (``None``:
      no limit; shipping reaches wherever the rate table has a zone).
    - ``min_stock``: per location type, a location's stock of a SKU is used only when at
      least this many units are available ("use store stock only from 3 units").
    - ``promise_business_days``: the SLA. The goods must arrive (shipping) or be ready
      (collection) within this many carrier business days of today; 0 means today. ``None``
      promises no date, so cost alone decides. Same day is always today.
    - ``max_packages``: how many locations may share the order (1 = never split); ``None``
      takes the method's default (1 for collection and same day, else 3).
    - ``split_penalty``: added once per package beyond the first, to steer towards fewer boxes.
    - ``allow_backorder``: lines the network cannot cover now may wait for incoming supply.
    """

    max_distance_km: float | None = None
    min_stock: Mapping[LocationType, int] = field(default_factory=dict)
    promise_business_days: int | None = None
    max_packages: int | None = None
    split_penalty: Money | None = None
    allow_backorder: bool = False

    @classmethod
    def default_for(cls, method: DeliveryMethod) -> MethodPolicy:
        """The policy a method gets when the rules do not mention it.

        Collection and same-day never split (the customer or the courier meets one location)
        and keep the reach that promises have always had.
        """
        single = method.is_collection or method is DeliveryMethod.SAME_DAY
        return cls(
            max_distance_km=DEFAULT_RADIUS_KM[method],
            promise_business_days=SAME_DAY_PROMISE_DAYS
            if method is DeliveryMethod.SAME_DAY
            else None,
            max_packages=1 if single else DEFAULT_MAX_PACKAGES,
        )

    def packages_limit(self, method: DeliveryMethod) -> int:
        if self.max_packages is not None:
            return self.max_packages
        single = method.is_collection or method is DeliveryMethod.SAME_DAY
        return 1 if single else DEFAULT_MAX_PACKAGES

    def problems(
        self, path: tuple[str, ...], method: DeliveryMethod, currency: str
    ) -> list[Problem]:
        found: list[Problem] = []

        def bad(name: str, message: str) -> None:
            found.append(Problem((*path, name), ErrorCode.INVALID, message))

        if self.max_distance_km is not None and not self.max_distance_km >= 0:
            bad("max_distance_km", "max_distance_km must be zero or more")
        for location_type, units in self.min_stock.items():
            if not isinstance(location_type, LocationType):
                bad("min_stock", f"min_stock key {location_type!r} is not a location type")
            elif units < 0:
                bad("min_stock", f"min_stock for {location_type.value} must be zero or more")
        days = self.promise_business_days
        if days is not None and days < 0:
            bad("promise_business_days", "promise_business_days must be zero or more")
        if method is DeliveryMethod.SAME_DAY and days not in (None, SAME_DAY_PROMISE_DAYS):
            bad("promise_business_days", "same day means today: promise_business_days must be 0")
        if not 1 <= self.packages_limit(method) <= MAX_PACKAGES_SUPPORTED:
            bad("max_packages", f"max_packages must be 1 to {MAX_PACKAGES_SUPPORTED}")
        elif method.is_collection and self.packages_limit(method) != 1:
            bad("max_packages", f"{method.value} is collected at one location: max_packages is 1")
        penalty = self.split_penalty
        if penalty is not None and penalty.currency != currency:
            bad("split_penalty", f"split_penalty must be in {currency}")
        elif penalty is not None and penalty.minor < 0:
            bad("split_penalty", "split_penalty must be zero or more")
        if self.allow_backorder and method is DeliveryMethod.SAME_DAY:
            bad("allow_backorder", "same-day orders cannot wait for incoming supply")
        return found


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """What one channel may not use, and its own method policies (which replace the defaults)."""

    excluded_location_ids: frozenset[int] = frozenset()
    excluded_location_types: frozenset[LocationType] = frozenset()
    methods: Mapping[DeliveryMethod, MethodPolicy] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MarginRule:
    """Prefer ``prefer`` locations unless ``over`` locations ship for less.

    When the cheapest plan uses an ``over`` location (a store) and its shipping costs more than
    ``threshold`` above the best plan served only by ``prefer`` locations (warehouses), the
    warehouse plan is chosen: store labour is better spent on walk-in customers. Only shipping
    is compared, as the rule is usually stated by carriers' invoices.
    """

    threshold: Money
    prefer: LocationType = LocationType.DC
    over: LocationType = LocationType.STORE


# How many usable candidates a decision screens before it looks only at farther locations
# that could still matter (a 500-location network often stocks a popular cart at 400).
NEAREST_USABLE = 60


@dataclass(frozen=True, slots=True)
class SourcingRules:
    """All sourcing rules: per-method defaults, per-channel overrides, the margin rule.

    Resolution for a (channel, method): the channel's own policy for the method, else the
    rules' policy for the method, else ``MethodPolicy.default_for(method)``.
    """

    currency: str = "USD"
    methods: Mapping[DeliveryMethod, MethodPolicy] = field(default_factory=dict)
    channels: Mapping[str, ChannelPolicy] = field(default_factory=dict)
    margin: MarginRule | None = None
    # Candidates are screened nearest first; once this many are usable, only farther ones
    # that hold the whole cart (or, for backorders, incoming supply) are screened. None
    # screens every candidate. See ``eligibility.screen``.
    nearest_usable: int | None = NEAREST_USABLE

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if self.nearest_usable is not None and self.nearest_usable < 1:
            problems.append(
                Problem(("nearest_usable",), ErrorCode.INVALID, "nearest_usable must be >= 1")
            )
        for method, policy in self.methods.items():
            problems += policy.problems(("methods", str(method)), method, self.currency)
        for channel, channel_policy in self.channels.items():
            for method, policy in channel_policy.methods.items():
                path = ("channels", str(channel), "methods", str(method))
                problems += policy.problems(path, method, self.currency)
            for location_type in channel_policy.excluded_location_types:
                if not isinstance(location_type, LocationType):
                    problems.append(
                        Problem(
                            ("channels", str(channel), "excluded_location_types"),
                            ErrorCode.INVALID,
                            f"{location_type!r} is not a location type",
                        )
                    )
        if self.margin is not None:
            problems += _margin_problems(self.margin, self.currency)
        if problems:
            raise DomainError(problems)

    def policy_for(self, channel: str, method: DeliveryMethod) -> MethodPolicy:
        channel_policy = self.channels.get(channel)
        if channel_policy is not None and method in channel_policy.methods:
            return channel_policy.methods[method]
        return self.methods.get(method) or MethodPolicy.default_for(method)

    def channel(self, channel: str) -> ChannelPolicy:
        return self.channels.get(channel) or ChannelPolicy()

    def split_penalty(self, policy: MethodPolicy) -> Money:
        return policy.split_penalty or Money.zero(self.currency)


def _margin_problems(margin: MarginRule, currency: str) -> list[Problem]:
    found: list[Problem] = []
    if margin.threshold.currency != currency:
        found.append(
            Problem(("margin", "threshold"), ErrorCode.INVALID, f"threshold must be in {currency}")
        )
    elif margin.threshold.minor < 0:
        found.append(
            Problem(("margin", "threshold"), ErrorCode.INVALID, "threshold must be zero or more")
        )
    if margin.prefer == margin.over:
        found.append(Problem(("margin", "over"), ErrorCode.INVALID, "prefer and over must differ"))
    return found


def build_policy(
    method: DeliveryMethod,
    currency: str,
    *,
    max_distance_km: float | None = None,
    min_stock: Mapping[str, int] | None = None,
    promise_business_days: int | None = None,
    max_packages: int | None = None,
    split_penalty: Money | None = None,
    allow_backorder: bool = False,
) -> MethodPolicy:
    """A method policy from plain values (admin input, a rules file), validated at once.

    Raises ``DomainError`` whose problems name the snake_case field (``max_packages``,
    ``min_stock``); callers prefix or rename them for their own inputs.
    """
    problems: list[Problem] = []
    thresholds: dict[LocationType, int] = {}
    for key, units in (min_stock or {}).items():
        if key not in LocationType.__members__:
            problems.append(
                Problem(("min_stock",), ErrorCode.INVALID, f"unknown location type {key!r}")
            )
        elif isinstance(units, bool) or not isinstance(units, int) or units < 0:
            problems.append(
                Problem(("min_stock",), ErrorCode.INVALID, f"min_stock for {key} must be >= 0")
            )
        else:
            thresholds[LocationType(key)] = units
    policy = MethodPolicy(
        max_distance_km=max_distance_km,
        min_stock=thresholds,
        promise_business_days=promise_business_days,
        max_packages=max_packages,
        split_penalty=split_penalty,
        allow_backorder=allow_backorder,
    )
    problems += policy.problems((), method, currency)
    if problems:
        raise DomainError(problems)
    return policy


def margin_problems(margin: MarginRule, currency: str) -> list[Problem]:
    """Problems of a margin rule on its own, fields named ``threshold`` and ``over``."""
    return [Problem(p.field[1:], p.code, p.message) for p in _margin_problems(margin, currency)]
