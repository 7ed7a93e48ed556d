"""The sourcing sections of the rules file: ``[[sourcing]]``, ``[[sourcing_exclusion]]``
and ``[sourcing_margin]`` (see ``docs/rules.example.toml``), and the rules they make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.money import Money
from omnigraph.domain.rules_reader import TableReader, read_amount
from omnigraph.domain.sourcing.rules import (
    ChannelPolicy,
    MarginRule,
    MethodPolicy,
    SourcingRules,
    build_policy,
    margin_problems,
)
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType

# Amounts in the file carry no currency; they are checked with this placeholder (ISO 4217
# "no currency") and stored in the server's currency on import.
_NO_CURRENCY = "XXX"


@dataclass(frozen=True, slots=True)
class SourcingSpec:
    """A method policy for one channel (``channel`` None: every channel without its own),
    as a rules file's ``[[sourcing]]`` table or the ``setSourcingRule`` mutation gives it."""

    method: DeliveryMethod
    channel: str | None = None
    max_distance_km: float | None = None
    min_stock: Mapping[str, int] = field(default_factory=dict)
    promise_business_days: int | None = None
    max_packages: int | None = None
    split_penalty: Decimal | None = None
    allow_backorder: bool = False

    def policy(self, currency: str) -> MethodPolicy:
        """The validated domain policy (amounts in ``currency``); raises its problems."""
        return build_policy(
            self.method,
            currency,
            max_distance_km=self.max_distance_km,
            min_stock=self.min_stock,
            promise_business_days=self.promise_business_days,
            max_packages=self.max_packages,
            split_penalty=None
            if self.split_penalty is None
            else Money.from_decimal(self.split_penalty, currency),
            allow_backorder=self.allow_backorder,
        )


@dataclass(frozen=True, slots=True)
class SourcingExclusionSpec:
    channel: str
    locations: tuple[str, ...] = ()
    location_types: tuple[LocationType, ...] = ()


@dataclass(frozen=True, slots=True)
class SourcingMarginSpec:
    threshold: Decimal
    prefer: LocationType = LocationType.DC
    over: LocationType = LocationType.STORE


def _location_types(
    table: Mapping[str, Any], key: str, path: tuple[str, ...], problems: list[Problem]
) -> tuple[LocationType, ...]:
    raw = table.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        problems.append(Problem((*path, key), ErrorCode.INVALID, f"{key} must list location types"))
        return ()
    found: list[LocationType] = []
    for item in raw:
        if item in LocationType.__members__:
            found.append(LocationType(item))
        else:
            problems.append(
                Problem((*path, key), ErrorCode.INVALID, f"unknown location type {item!r}")
            )
    return tuple(found)


def read_sourcing(
    table: Mapping[str, Any], path: tuple[str, ...], problems: list[Problem]
) -> SourcingSpec | None:
    read = TableReader(
        table,
        path,
        {
            "method",
            "channel",
            "max_distance_km",
            "min_stock",
            "promise_business_days",
            "max_packages",
            "split_penalty",
            "allow_backorder",
        },
        problems,
    )
    before = len(problems)
    method_name = read.text("method", required=True)
    method = None
    if method_name is not None:
        if method_name in DeliveryMethod.__members__:
            method = DeliveryMethod(method_name)
        else:
            problems.append(
                Problem((*path, "method"), ErrorCode.INVALID, f"unknown method {method_name!r}")
            )
    channel = read.text("channel")
    distance = table.get("max_distance_km")
    if distance is not None and (
        isinstance(distance, bool) or not isinstance(distance, int | float)
    ):
        problems.append(
            Problem(
                (*path, "max_distance_km"), ErrorCode.INVALID, "max_distance_km must be a number"
            )
        )
        distance = None
    min_stock = table.get("min_stock", {})
    if not isinstance(min_stock, dict):
        problems.append(
            Problem((*path, "min_stock"), ErrorCode.INVALID, "min_stock must be a table")
        )
        min_stock = {}
    days = read.whole("promise_business_days")
    packages = read.whole("max_packages", low=1)
    penalty = read_amount(table, "split_penalty", path, problems)
    backorder = table.get("allow_backorder", False)
    if not isinstance(backorder, bool):
        problems.append(
            Problem(
                (*path, "allow_backorder"),
                ErrorCode.INVALID,
                "allow_backorder must be true or false",
            )
        )
        backorder = False
    if len(problems) > before or method is None:
        return None
    spec = SourcingSpec(
        method, channel, distance, dict(min_stock), days, packages, penalty, backorder
    )
    try:
        spec.policy(_NO_CURRENCY)
    except DomainError as error:
        problems.extend(Problem((*path, *p.field), p.code, p.message) for p in error.problems)
        return None
    return spec


def read_sourcing_exclusion(
    table: Mapping[str, Any], path: tuple[str, ...], problems: list[Problem]
) -> SourcingExclusionSpec | None:
    read = TableReader(table, path, {"channel", "locations", "location_types"}, problems)
    before = len(problems)
    channel = read.text("channel", required=True)
    raw = table.get("locations", [])
    if not isinstance(raw, list) or not all(isinstance(c, str) and c.strip() for c in raw):
        problems.append(
            Problem((*path, "locations"), ErrorCode.INVALID, "locations must list location codes")
        )
        raw = []
    types = _location_types(table, "location_types", path, problems)
    if len(problems) > before or channel is None:
        return None
    return SourcingExclusionSpec(channel, tuple(c.strip() for c in raw), types)


def read_sourcing_margin(
    table: Mapping[str, Any], path: tuple[str, ...], problems: list[Problem]
) -> SourcingMarginSpec | None:
    read = TableReader(table, path, {"threshold", "prefer", "over"}, problems)
    before = len(problems)
    threshold = read_amount(table, "threshold", path, problems)
    if "threshold" not in table:
        problems.append(Problem((*path, "threshold"), ErrorCode.REQUIRED, "threshold is required"))
    kinds: dict[str, LocationType] = {}
    for key, default in (("prefer", LocationType.DC), ("over", LocationType.STORE)):
        name = read.text(key)
        if name is None:
            kinds[key] = default
        elif name in LocationType.__members__:
            kinds[key] = LocationType(name)
        else:
            problems.append(
                Problem((*path, key), ErrorCode.INVALID, f"unknown location type {name!r}")
            )
    if len(problems) > before or threshold is None:
        return None
    margin = MarginRule(Money.from_decimal(threshold, _NO_CURRENCY), kinds["prefer"], kinds["over"])
    found = margin_problems(margin, _NO_CURRENCY)
    problems.extend(Problem((*path, *p.field), p.code, p.message) for p in found)
    return None if found else SourcingMarginSpec(threshold, kinds["prefer"], kinds["over"])


def duplicates(
    sourcing: list[SourcingSpec],
    exclusions: list[SourcingExclusionSpec],
    positions: Mapping[int, int],
) -> list[Problem]:
    """One policy per (channel, method) and one exclusion list per channel."""
    found: list[Problem] = []
    seen: set[tuple[str | None, DeliveryMethod]] = set()
    for spec in sourcing:
        index = positions[id(spec)]
        key = (spec.channel, spec.method)
        if key in seen:
            who = spec.channel or "every channel"
            found.append(
                Problem(
                    ("sourcing", str(index), "method"),
                    ErrorCode.INVALID,
                    f"{spec.method.value} for {who} is given twice",
                )
            )
        seen.add(key)
    channels: set[str] = set()
    for exclusion in exclusions:
        index = positions[id(exclusion)]
        if exclusion.channel in channels:
            found.append(
                Problem(
                    ("sourcing_exclusion", str(index), "channel"),
                    ErrorCode.INVALID,
                    f"{exclusion.channel} has two exclusion lists",
                )
            )
        channels.add(exclusion.channel)
    return found


def sourcing_rules_from(
    sourcing: Sequence[SourcingSpec],
    exclusion_specs: Sequence[SourcingExclusionSpec],
    margin: SourcingMarginSpec | None,
    location_ids: Mapping[str, int],
    currency: str,
) -> SourcingRules:
    """A file's sourcing sections as domain rules (location codes resolved by the caller)."""
    methods: dict[DeliveryMethod, MethodPolicy] = {}
    per_channel: dict[str, dict[DeliveryMethod, MethodPolicy]] = {}
    for spec in sourcing:
        policy = spec.policy(currency)
        if spec.channel is None:
            methods[spec.method] = policy
        else:
            per_channel.setdefault(spec.channel, {})[spec.method] = policy
    exclusions = {e.channel: e for e in exclusion_specs}
    channels = {
        code: ChannelPolicy(
            frozenset(location_ids[c] for c in exclusions[code].locations)
            if code in exclusions
            else frozenset(),
            frozenset(exclusions[code].location_types) if code in exclusions else frozenset(),
            per_channel.get(code, {}),
        )
        for code in sorted(set(per_channel) | set(exclusions))
    }
    return SourcingRules(
        currency=currency,
        methods=methods,
        channels=channels,
        margin=None
        if margin is None
        else MarginRule(Money.from_decimal(margin.threshold, currency), margin.prefer, margin.over),
    )
